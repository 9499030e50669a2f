import { loadBatch, type BatchRecord } from './batch-store';
import { promoteCallback, type CallbackQueue } from './callback-queue';
import { callbackJobId } from './keys';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

/** The longest a recorded batch delivery waits between two checks of its batch, in rechecks. */
const MAX_WAIT_RECHECKS = 10;
/** A batch with a completion_window is checked this long after the window closes. */
const EXPIRY_SLACK_MS = 1000;

/**
 * How long a batch's recorded delivery waits before it checks the batch by itself: a recheck at first, then a
 * quarter of the batch's age (at most ten rechecks), so a batch running for hours costs a read of its view every few
 * minutes, not every recheck; never past its completion_window.
 */
export function batchCallbackWaitMs(record: Pick<BatchRecord, 'createdAt' | 'expiresAt'>, now: number, recheckMs: number): number {
  const age = Math.max(0, now - record.createdAt);
  const wait = Math.min(Math.max(recheckMs, Math.round(age / 4)), MAX_WAIT_RECHECKS * recheckMs);
  return record.expiresAt !== undefined && record.expiresAt >= now ? Math.min(wait, record.expiresAt - now + EXPIRY_SLACK_MS) : wait;
}

/**
 * Records, when a batch with a callback_url is created, the delivery of its end: the callback job `cb-batch-<id>`,
 * delayed. It lives in Redis before any request can end, so whoever dies after ending the batch's last request (a
 * worker, the API cancelling it) loses nothing: it falls due by itself, and its delivery waits again while the batch
 * has not ended. One command per batch; nothing for batches without a callback.
 */
export async function recordBatchCallback(queue: CallbackQueue, batchId: string, url: string, delayMs: number): Promise<void> {
  await queue.add('batch-callback', { url, batch_id: batchId }, { jobId: callbackJobId(batchId, 'batch'), ...(delayMs > 0 ? { delay: delayMs } : {}) });
}

/** Takes back the recorded delivery of a batch that could not be enqueued. */
export async function removeBatchCallback(queue: CallbackQueue, batchId: string): Promise<void> {
  await queue.remove(callbackJobId(batchId, 'batch'));
}

/** Makes a batch's recorded delivery due now: one command; false when it is not waiting. */
export async function promoteBatchCallback(queue: CallbackQueue, batchId: string): Promise<boolean> {
  return promoteCallback(queue, callbackJobId(batchId, 'batch'));
}

/**
 * Makes a batch's delivery due as its last request ends (one command). When none was waiting (being checked right
 * now, delivered already, or a batch created before deliveries were recorded), it is recorded due: a no-op when it
 * exists.
 */
export async function makeBatchCallbackDue(queue: CallbackQueue, redis: RedisClient, prefix: QueuePrefix, batchId: string): Promise<void> {
  if (await promoteBatchCallback(queue, batchId)) return;
  const record = await loadBatch(redis, prefix, batchId);
  if (record?.callbackUrl) await recordBatchCallback(queue, batchId, record.callbackUrl, 0);
}
