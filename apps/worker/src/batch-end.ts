import type { Worker } from 'bullmq';
import type { ChatJobData, ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { enqueueBatchCallback, loadBatch, noteBatchRequestsEnded, readBatchView, type CallbackQueue, type ChatJob, type RedisClient } from '@gateway/queue';

/** What watching batches' ends needs. */
export interface BatchEndDeps {
  callbacks: CallbackQueue;
  redis: RedisClient;
  prefix: string;
  retentionSeconds: number;
  logger: Logger;
}

/**
 * Counts every request of a batch with a callback_url this worker ends (completed, failed, cancelled, expired) in its batch's set of ended
 * requests; the worker whose request is the last to end (the API counts the requests a cancel removes) enqueues the
 * batch's callback with its view. One script per such request; nothing for other jobs.
 */
export function watchBatchEnds(worker: Worker<ChatJobData, ChatJobResult>, deps: BatchEndDeps): void {
  const ended = async (job: ChatJob) => {
    const batchId = job.data.batch_id;
    // Only a batch with a callback needs its end known: the others cost nothing here.
    if (!batchId || !job.id || job.data.batch_callback !== true) return;
    const { added, ended: count, total } = await noteBatchRequestsEnded(deps.redis, deps.prefix, batchId, [job.id], deps.retentionSeconds);
    // The whole record (its custom ids) is read only at the end.
    if (added === 0 || total === 0 || count < total) return;
    const record = await loadBatch(deps.redis, deps.prefix, batchId);
    if (!record?.callbackUrl || count < record.total) return;
    await enqueueBatchCallback(deps.callbacks, record.callbackUrl, await readBatchView(deps.redis, worker, deps.prefix, record));
    deps.logger.info({ batchId, total: record.total }, 'batch ended: callback enqueued');
  };
  const report = (job: ChatJob) =>
    void ended(job).catch((error: unknown) => deps.logger.error({ err: error, jobId: job.id }, 'could not count the batch request’s end'));
  worker.on('completed', (job) => report(job));
  worker.on('failed', (job) => {
    if (job) report(job);
  });
}
