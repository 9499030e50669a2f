import { batchJobId, deleteBatch, type BatchRecord } from './batch-store';
import type { ChatQueue } from './chat-queue';
import { queueKeys } from './keys';
import type { QueuePrefix } from './prefixes';
import type { RedisClient } from './redis-connection';

/** Jobs removed side by side: bounds the commands in flight. */
const REMOVE_CONCURRENCY = 200;

/**
 * Deletes an ended batch for good: its record and listing first (from then on it is unknown), then its jobs, their
 * results and their cancelled markers, a chunk at a time. A job a worker still holds is left to its retention
 * (BullMQ's remove() refuses a locked job). Returns how many jobs were removed.
 */
export async function removeBatch(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'remove'>,
  prefix: QueuePrefix,
  record: Pick<BatchRecord, 'batchId' | 'keyId' | 'endpoint' | 'total'>,
): Promise<number> {
  await deleteBatch(redis, prefix, record);
  let removed = 0;
  for (let first = 0; first < record.total; first += REMOVE_CONCURRENCY) {
    const jobIds = Array.from({ length: Math.min(REMOVE_CONCURRENCY, record.total - first) }, (_, offset) => batchJobId(record.batchId, first + offset));
    const outcomes = await Promise.all(jobIds.map((jobId) => queue.remove(jobId)));
    removed += outcomes.filter((outcome) => outcome === 1).length;
    await redis.del(...jobIds.map((jobId) => queueKeys.jobCancelled(prefix, jobId)));
  }
  return removed;
}
