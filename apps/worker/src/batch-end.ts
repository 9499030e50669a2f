import type { Worker } from 'bullmq';
import type { GatewayJobData, ChatJobResult } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import {
  batchCallbackWaitMs,
  loadBatch,
  makeBatchCallbackDue,
  noteBatchRequestsEnded,
  promoteBatchCallback,
  readBatchEndedCount,
  readBatchView,
  type CallbackQueue,
  type ChatJob,
  type ChatQueue,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import type { BatchEndCheck } from './callbacks';

/** What watching batches' ends needs. */
export interface BatchEndDeps {
  callbacks: CallbackQueue;
  redis: RedisClient;
  prefix: QueuePrefix;
  retentionSeconds: number;
  logger: Logger;
}

/**
 * Counts every request of a batch with a callback_url this worker ends (completed, failed, cancelled, expired) in its
 * batch's set of ended requests; the worker whose request is the last to end (the API counts the requests a cancel
 * removes) makes the batch's recorded callback due. One script per such request; nothing for other jobs. Lost with
 * this process or to a Redis error, the callback only waits for its recheck (`createBatchEndCheck`).
 */
export function watchBatchEnds(worker: Worker<GatewayJobData, ChatJobResult>, deps: BatchEndDeps): void {
  const ended = async (job: ChatJob) => {
    const batchId = job.data.batch_id;
    // Only a batch with a callback needs its end known: the others cost nothing here.
    if (!batchId || !job.id || job.data.batch_callback !== true) return;
    const { added, ended: count, total } = await noteBatchRequestsEnded(deps.redis, deps.prefix, batchId, [job.id], deps.retentionSeconds);
    if (added === 0 || total === 0 || count < total) return;
    await makeBatchCallbackDue(deps.callbacks, deps.redis, deps.prefix, batchId);
    deps.logger.info({ batchId, total }, 'batch ended: callback due');
  };
  const report = (job: ChatJob) =>
    void ended(job).catch((error: unknown) => deps.logger.error({ err: error, jobId: job.id }, 'could not count the batch request’s end'));
  worker.on('completed', (job) => report(job));
  worker.on('failed', (job) => {
    if (job) report(job);
  });
}

/** What checking a batch's end for its recorded callback needs. */
export interface BatchEndCheckDeps {
  callbacks: CallbackQueue;
  redis: RedisClient;
  queue: Pick<ChatQueue, 'toKey'>;
  prefix: QueuePrefix;
  recheckMs: number;
}

/**
 * Reads a batch's end for its recorded callback: its view (done once every request has ended, or been cancelled or
 * expired), and how long to wait otherwise. The count of ended requests is read before the view: when it reaches the
 * total while the delivery was checking (the last request's worker could not make it due), `waiting` makes it due.
 * A count that was already complete does not (a request counted but not ended would make it spin).
 */
export function createBatchEndCheck(deps: BatchEndCheckDeps): (batchId: string) => Promise<BatchEndCheck | undefined> {
  return async (batchId) => {
    const before = await readBatchEndedCount(deps.redis, deps.prefix, batchId);
    const record = await loadBatch(deps.redis, deps.prefix, batchId);
    if (!record) return undefined;
    const view = await readBatchView(deps.redis, deps.queue, deps.prefix, record);
    const waiting = async () => {
      if (before.ended >= record.total) return;
      const after = await readBatchEndedCount(deps.redis, deps.prefix, batchId);
      if (after.ended >= record.total) await promoteBatchCallback(deps.callbacks, batchId);
    };
    return { view, waitMs: batchCallbackWaitMs(record, Date.now(), deps.recheckMs), waiting };
  };
}
