import { UnrecoverableError } from 'bullmq';
import { jobErrorSchema, type ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import type { SettleKeep } from '@gateway/limits';
import { completedOutcomeJson, keepJobOutcome, queueKeys, type ChatJob, type KeptOutcome, type QueuePrefix, type RedisClient } from '@gateway/queue';

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

/** How a completed job's outcome is kept: inside its settlement, or on its own. */
export interface CompletedKeep {
  /** For the settlement to write before its reply (standalone Redis); undefined when `written` is under way. */
  inSettlement: SettleKeep | undefined;
  /** The write of its own (a cluster: started at once); undefined when it rides on the settlement. */
  written: Promise<void> | undefined;
  /** Writes it on its own (the settlement that carried it failed). Never rejects (a failure is logged). */
  write(): Promise<void>;
}

/**
 * Keeps a completed job's result (its JSON, serialised once for this and the reply) when the job asks for it
 * (`keep_outcome_seconds`: stored and background responses), beyond the job's retention. On a standalone Redis it
 * rides on the settlement (budget-settle-14.lua writes it before the reply: no command of its own); on a cluster
 * its key is in the queue's slot, not the settlement's, so its command is written at once, issued just before the
 * settlement on the same connection (no round trip of its own either).
 */
export function keepCompletedOutcome(deps: KeepDeps, job: ChatJob, resultJson: () => string, log: Logger): CompletedKeep | undefined {
  const seconds = job.data.keep_outcome_seconds;
  if (seconds === undefined || !job.id) return undefined;
  const jobId = job.id;
  const json = completedOutcomeJson(resultJson());
  const write = () =>
    keepJobOutcome(deps.publisher, deps.prefix, jobId, { json }, seconds).catch((error: unknown) =>
      log.error({ err: error }, 'could not keep the job outcome'),
    );
  if (deps.publisher.isCluster) return { inSettlement: undefined, written: write(), write };
  return { inSettlement: { key: queueKeys.keptOutcome(deps.prefix, jobId), value: json, seconds }, written: undefined, write };
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
