import type { JobError } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { createSecretScrubber } from '@gateway/observability';
import { providerSecretValues } from '@gateway/providers';

/**
 * Removes the providers' secrets (keys, the Cursor adapter's token) from a job error before it leaves the worker
 * (reply channel, failedReason, GET /v1/jobs, callbacks): an upstream's error text may quote the key it was sent,
 * and the adapters pass such text on as the reason of an attempt.
 */
export function createJobErrorScrubber(config: Pick<Config, 'providers' | 'llm'>): (error: JobError) => JobError {
  const scrub = createSecretScrubber(providerSecretValues(config));
  return (error) => ({
    ...error,
    message: scrub(error.message),
    ...(error.attempts ? { attempts: error.attempts.map((attempt) => ({ ...attempt, reason: scrub(attempt.reason) })) } : {}),
  });
}
