import { UnrecoverableError } from 'bullmq';
import { jobErrorSchema, type ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { keepJobOutcome, type ChatJob, type KeptOutcome, type QueuePrefix, type RedisClient } from '@gateway/queue';

type ChatRun = (job: ChatJob, token?: string, signal?: AbortSignal) => Promise<ChatJobResult>;

interface KeepDeps {
  publisher: RedisClient;
  prefix: QueuePrefix;
}

/** The job error a final failure carries (an UnrecoverableError whose message is the serialised error), if any. */
function finalJobError(error: unknown): KeptOutcome | undefined {
  if (!(error instanceof UnrecoverableError)) return undefined;
  try {
    const parsed = jobErrorSchema.safeParse(JSON.parse(error.message));
    return parsed.success ? { state: 'failed', error: parsed.data } : undefined;
  } catch {
    // A run given up (its lock lost) ends with a plain message: the run that holds the job keeps its outcome.
    return undefined;
  }
}

/**
 * Keeps a completed job's result when the job asks for it (`keep_outcome_seconds`: stored and background
 * responses), beyond the job's retention. Its command is written at once: issued just before the settlement on the
 * same connection, it costs no round trip of its own. Never rejects (a failure is logged).
 */
export function keepCompletedOutcome(deps: KeepDeps, job: ChatJob, result: ChatJobResult, log: Logger): Promise<void> {
  const seconds = job.data.keep_outcome_seconds;
  if (seconds === undefined || !job.id) return Promise.resolve();
  return keepJobOutcome(deps.publisher, deps.prefix, job.id, { state: 'completed', result }, seconds).catch((error: unknown) =>
    log.error({ err: error }, 'could not keep the job outcome'),
  );
}

/**
 * Runs a job and, when it asks for it (`keep_outcome_seconds`), keeps its final error beyond the job's retention
 * before the job is ended (a result is kept where the job completes: keepCompletedOutcome, beside its settlement).
 * A run handed back or delayed ends nothing and keeps nothing.
 */
export function keepingOutcomes(run: ChatRun, deps: KeepDeps & { logger: Logger }): ChatRun {
  return async (job, token, signal) => {
    const seconds = job.data.keep_outcome_seconds;
    if (seconds === undefined || !job.id) return run(job, token, signal);
    try {
      return await run(job, token, signal);
    } catch (error) {
      const failed = finalJobError(error);
      if (failed) {
        await keepJobOutcome(deps.publisher, deps.prefix, job.id, failed, seconds).catch((keepError: unknown) =>
          deps.logger.error({ err: keepError, jobId: job.id }, 'could not keep the job outcome'),
        );
      }
      throw error;
    }
  };
}
