import { UnrecoverableError, type Worker } from 'bullmq';
import { callbackUrlProblem, type ChatJobData, type ChatJobResult, type JobView } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import { enqueueCallback, errorFromFailedReason, isJobCancelled, type CallbackJobData, type CallbackQueue, type RedisClient } from '@gateway/queue';
import type { Job } from 'bullmq';

/**
 * Delivers one callback: POSTs the job's view as JSON. Non-2xx answers and network errors throw, so BullMQ
 * retries with backoff; a URL no longer allowed (the operator changed the list) is dropped at once.
 */
export function createCallbackDelivery(options: { config: Pick<Config, 'jobs'>; logger: Logger; fetch?: typeof fetch }) {
  const send = options.fetch ?? fetch;
  return async (job: Job<CallbackJobData>): Promise<{ status: number }> => {
    const { url, payload } = job.data;
    const problem = callbackUrlProblem(url, options.config.jobs.callbackAllowedHosts);
    if (problem) {
      options.logger.warn({ jobId: payload.job_id, reason: problem }, 'callback refused');
      throw new UnrecoverableError(problem);
    }
    // No redirects: a redirect could lead to a host the operator did not allow.
    const response = await send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'llm-gateway-callback' },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.config.jobs.callbackTimeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) throw new Error(`callback answered HTTP ${response.status}`);
    options.logger.debug({ jobId: payload.job_id, status: response.status, attempt: job.attemptsMade + 1 }, 'callback delivered');
    return { status: response.status };
  };
}

/** Enqueues a callback delivery whenever a chat job that asked for one finishes. */
export function watchFinishedJobs(worker: Worker<ChatJobData, ChatJobResult>, deps: { callbacks: CallbackQueue; redis: RedisClient; prefix: string; logger: Logger }): void {
  const enqueue = (jobId: string, url: string, payload: JobView) =>
    enqueueCallback(deps.callbacks, url, payload).catch((error: unknown) => deps.logger.error({ err: error, jobId }, 'could not enqueue callback'));

  worker.on('completed', (job, result) => {
    if (!job.id || !job.data.callback_url) return;
    void enqueue(job.id, job.data.callback_url, { job_id: job.id, status: 'completed', result });
  });
  worker.on('failed', (job) => {
    if (!job?.id || !job.data.callback_url) return;
    const { id, data } = job;
    const url = data.callback_url!;
    void isJobCancelled(deps.redis, deps.prefix, id)
      .catch(() => false)
      .then((cancelled) => {
        if (cancelled) return enqueue(id, url, { job_id: id, status: 'cancelled' });
        const error = errorFromFailedReason(job.failedReason);
        return enqueue(id, url, { job_id: id, status: 'failed', error: { type: error.type, message: error.message, ...(error.details.attempts ? { attempts: error.details.attempts } : {}) } });
      });
  });
}
