import { queueKeys } from './keys';
import type { RedisClient } from './redis-connection';

/** What the gateway keeps about a batch; its jobs' ids are derived (`batchJobId`), so they are not stored. */
export interface BatchRecord {
  batchId: string;
  total: number;
  createdAt: number;
  /** The caller's id per request (index-aligned; '' when none was given). */
  customIds: string[];
  /** The API key that made the batch (it alone may read or cancel it). */
  keyId?: string | undefined;
}

/** The job id of a batch's request number `index` (BullMQ ids may not contain ':'). */
export function batchJobId(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}

/** Stores a batch's record for `ttlSeconds` (its jobs' results live as long). */
export async function saveBatch(redis: RedisClient, prefix: string, record: BatchRecord, ttlSeconds: number): Promise<void> {
  const key = queueKeys.batch(prefix, record.batchId);
  await redis
    .multi()
    .hset(key, { total: String(record.total), created_at: String(record.createdAt), custom_ids: JSON.stringify(record.customIds), ...(record.keyId ? { key_id: record.keyId } : {}) })
    .expire(key, ttlSeconds)
    .exec();
}

export async function deleteBatch(redis: RedisClient, prefix: string, batchId: string): Promise<void> {
  await redis.del(queueKeys.batch(prefix, batchId));
}

/** Loads a batch's record, or undefined when unknown or expired. */
export async function loadBatch(redis: RedisClient, prefix: string, batchId: string): Promise<BatchRecord | undefined> {
  const [total, createdAt, customIds, keyId] = await redis.hmget(queueKeys.batch(prefix, batchId), 'total', 'created_at', 'custom_ids', 'key_id');
  if (!total) return undefined;
  let ids: string[] = [];
  try {
    const parsed: unknown = JSON.parse(customIds ?? '[]');
    if (Array.isArray(parsed)) ids = parsed.map(String);
  } catch {
    ids = [];
  }
  return { batchId, total: Number(total), createdAt: Number(createdAt), customIds: ids, ...(keyId ? { keyId } : {}) };
}

/**
 * Claims a batch id made from an Idempotency-Key for `value` (the request's hash and size), for ttlSeconds, in one
 * SET NX: of concurrent duplicates exactly one claims it. Returns undefined when claimed, else the claim's value.
 */
export async function claimBatch(redis: RedisClient, prefix: string, batchId: string, value: string, ttlSeconds: number): Promise<string | undefined> {
  const key = queueKeys.batchClaim(prefix, batchId);
  const claimed = await redis.set(key, value, 'EX', ttlSeconds, 'NX');
  if (claimed === 'OK') return undefined;
  return (await redis.get(key)) ?? '';
}

/** Gives a claimed batch id back (its batch was refused or could not be enqueued). */
export async function releaseBatchClaim(redis: RedisClient, prefix: string, batchId: string): Promise<void> {
  await redis.del(queueKeys.batchClaim(prefix, batchId));
}
