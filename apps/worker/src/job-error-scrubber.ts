import type { JobError } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { createSecretScrubber } from '@gateway/observability';

/**
 * Removes the providers' keys from a job error before it leaves the worker (reply channel, failedReason,
 * GET /v1/jobs, callbacks): an upstream's error text may quote the key it was sent, and the adapters pass such
 * text on as the reason of an attempt.
 */
export function createJobErrorScrubber(config: Pick<Config, 'providers'>): (error: JobError) => JobError {
  const { openrouter, openai, anthropic } = config.providers;
  const scrub = createSecretScrubber([openrouter.apiKey, openai.apiKey, anthropic.apiKey]);
  return (error) => ({
    ...error,
    message: scrub(error.message),
    ...(error.attempts ? { attempts: error.attempts.map((attempt) => ({ ...attempt, reason: scrub(attempt.reason) })) } : {}),
  });
}
