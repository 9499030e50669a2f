import { DelayedError, type Processor, type Worker } from 'bullmq';
import type { GatewayJobData, ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { promoteJobCallback, recordJobCallback, type CallbackQueue, type ChatJob } from '@gateway/queue';

/** What recording callbacks needs. */
export interface CallbackOutboxDeps {
  callbacks: CallbackQueue;
  /** How long a recorded delivery waits before it checks its job by itself (its worker may have died). */
  recheckMs: number;
  logger: Logger;
}

/** A record that could not be written: the job waits a second in the queue and runs when Redis takes it. */
const RECORD_RETRY_MS = 1000;

/**
 * Records the callback of a job with a callback_url before it runs (`recordJobCallback`: one command, nothing for
 * other jobs): whatever ends the job (this run, a takeover after this worker died, the stall limit), the delivery is
 * in Redis already and is made once the job has ended. A job whose record cannot be written does not run now: it is
 * put back for a second (or, when Redis cannot take that either, its lock lapses and it runs again).
 */
export function recordCallbacksFirst(processor: Processor<GatewayJobData, ChatJobResult>, deps: CallbackOutboxDeps): Processor<GatewayJobData, ChatJobResult> {
  return async (job: ChatJob, token?: string, signal?: AbortSignal) => {
    const url = job.data.callback_url;
    if (job.id && url) {
      try {
        await recordJobCallback(deps.callbacks, job.id, url, deps.recheckMs);
      } catch (error) {
        deps.logger.warn({ err: error, jobId: job.id }, 'could not record the job callback: the job waits');
        await job.moveToDelayed(Date.now() + RECORD_RETRY_MS, token).catch(() => undefined);
        throw new DelayedError();
      }
    }
    return processor(job, token, signal);
  };
}

/**
 * Makes a job's recorded callback due as soon as the job ends here (one command, replacing the wait): the delivery
 * reads the outcome from the job itself. Lost with this process or to a Redis error, it only waits for its recheck.
 */
export function watchFinishedJobs(worker: Worker<GatewayJobData, ChatJobResult>, deps: Pick<CallbackOutboxDeps, 'callbacks' | 'logger'>): void {
  const due = (job: ChatJob | undefined) => {
    if (!job?.id || !job.data.callback_url) return;
    const jobId = job.id;
    void promoteJobCallback(deps.callbacks, jobId).catch((error: unknown) =>
      deps.logger.warn({ err: error, jobId }, 'could not make the job callback due: it goes at its recheck'),
    );
  };
  worker.on('completed', (job) => due(job));
  worker.on('failed', (job) => due(job));
}
