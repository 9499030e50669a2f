import { UnrecoverableError } from 'bullmq';
import { jobErrorSchema, type ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { keepJobOutcome, type ChatJob, type KeptOutcome, type QueuePrefix, type RedisClient } from '@gateway/queue';

type ChatRun = (job: ChatJob, token?: string, signal?: AbortSignal) => Promise<ChatJobResult>;

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
 * Runs a job and, when it asks for it (`keep_outcome_seconds`), keeps its outcome beyond the job's retention before
 * the job is ended: a result, or a final error. A run handed back or delayed ends nothing and keeps nothing.
 */
export function keepingOutcomes(run: ChatRun, deps: { publisher: RedisClient; prefix: QueuePrefix; logger: Logger }): ChatRun {
  return async (job, token, signal) => {
    const seconds = job.data.keep_outcome_seconds;
    if (seconds === undefined || !job.id) return run(job, token, signal);
    const keep = (outcome: KeptOutcome) =>
      keepJobOutcome(deps.publisher, deps.prefix, job.id!, outcome, seconds).catch((error: unknown) =>
        deps.logger.error({ err: error, jobId: job.id }, 'could not keep the job outcome'),
      );
    let result: ChatJobResult;
    try {
      result = await run(job, token, signal);
    } catch (error) {
      const failed = finalJobError(error);
      if (failed) await keep(failed);
      throw error;
    }
    await keep({ state: 'completed', result });
    return result;
  };
}
