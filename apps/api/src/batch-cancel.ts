import {
  batchJobId,
  makeBatchCallbackDue,
  markBatchCancelled,
  markJobCancelled,
  noteBatchRequestsEnded,
  removeUnstartedJob,
  type BatchRecord,
  type CallbackQueue,
  type JobQueues,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import type { Admission } from './admission';

/** What cancelling a batch needs. */
export interface BatchCancelDeps {
  queue: JobQueues;
  redis: RedisClient;
  prefix: QueuePrefix;
  callbacks: CallbackQueue;
  admission: Pick<Admission, 'release'>;
  retentionSeconds: number;
}

/** Requests removed side by side: bounds the round trips in flight (two per request). */
const REMOVE_CONCURRENCY = 200;

/**
 * Cancels what of a batch has not run: the batch is marked first (a worker that takes one of its requests
 * afterwards ends it as cancelled without calling a provider), then every request no worker has started is
 * removed, marked cancelled and its reservation given back. Running requests finish; finished results stay.
 * When that ends the batch, its callback is made due. Returns the number of requests removed.
 */
export async function cancelBatch(deps: BatchCancelDeps, record: BatchRecord, now = Date.now()): Promise<number> {
  await markBatchCancelled(deps.redis, deps.prefix, record.batchId, now);
  let removed = 0;
  let endedBatch = false;
  for (let first = 0; first < record.total; first += REMOVE_CONCURRENCY) {
    const ids = Array.from({ length: Math.min(REMOVE_CONCURRENCY, record.total - first) }, (_, offset) => batchJobId(record.batchId, first + offset));
    const outcomes = await Promise.all(ids.map((jobId) => removeUnstartedJob(deps.queue, jobId).catch(() => false)));
    const gone = ids.filter((_, index) => outcomes[index]);
    if (gone.length === 0) continue;
    await Promise.all(gone.map((jobId) => markJobCancelled(deps.redis, deps.prefix, jobId, deps.retentionSeconds)));
    await Promise.all(gone.map((jobId) => deps.admission.release(jobId, record.keyId).catch(() => undefined)));
    // Counted like the requests workers end (for a batch with a callback), so exactly one sees the last request end.
    if (record.callbackUrl) {
      const { added, ended, total } = await noteBatchRequestsEnded(deps.redis, deps.prefix, record.batchId, gone, deps.retentionSeconds);
      if (added > 0 && total > 0 && ended >= total) endedBatch = true;
    }
    removed += gone.length;
  }
  // Its callback was recorded when the batch was created: made due here, or at its recheck should this be lost.
  if (endedBatch && record.callbackUrl) await makeBatchCallbackDue(deps.callbacks, deps.redis, deps.prefix, record.batchId);
  return removed;
}
