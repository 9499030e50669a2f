// Lua files are imported as text; the declaration must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { queueKeys } from './keys';
import { defineLuaFile, runLuaScript } from './lua-script';
import type { RedisClient } from './redis-connection';
import batchEndedSource from './lua/batch-ended-2.lua';
import type { QueuePrefix } from './prefixes';

const batchEnded = defineLuaFile('batch-ended-2.lua', batchEndedSource);

/** What the gateway keeps about a batch; its jobs' ids are derived (`batchJobId`), so they are not stored. */
export interface BatchRecord {
  batchId: string;
  total: number;
  createdAt: number;
  /** The caller's id per request (index-aligned; '' when none was given). */
  customIds: string[];
  /** The API key that made the batch (it alone may read or cancel it). */
  keyId?: string | undefined;
  /** Receives the batch's view once every request has ended. */
  callbackUrl?: string | undefined;
  /** Unix ms past which requests not started end `expired`. */
  expiresAt?: number | undefined;
  /** Unix ms when its owner cancelled it. */
  cancelledAt?: number | undefined;
}

/** The job id of a batch's request number `index` (BullMQ ids may not contain ':'). */
export function batchJobId(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}

/** The index of a batch request's job id, or undefined when the id is not one of the batch's. */
export function batchJobIndex(batchId: string, jobId: string): number | undefined {
  if (!jobId.startsWith(`${batchId}-`)) return undefined;
  const index = Number(jobId.slice(batchId.length + 1));
  return Number.isInteger(index) && index >= 0 ? index : undefined;
}

/**
 * Stores a batch's record for `ttlSeconds` (its jobs' results live as long) and lists it among its owner's
 * batches (a zset by creation time; entries older than the retention are trimmed on the way).
 */
export async function saveBatch(redis: RedisClient, prefix: QueuePrefix, record: BatchRecord, ttlSeconds: number): Promise<void> {
  const key = queueKeys.batch(prefix, record.batchId);
  const owned = queueKeys.batchesOf(prefix, record.keyId ?? '');
  await redis
    .multi()
    .hset(key, {
      total: String(record.total),
      created_at: String(record.createdAt),
      custom_ids: JSON.stringify(record.customIds),
      ...(record.keyId ? { key_id: record.keyId } : {}),
      ...(record.callbackUrl ? { callback_url: record.callbackUrl } : {}),
      ...(record.expiresAt !== undefined ? { expires_at: String(record.expiresAt) } : {}),
    })
    .expire(key, ttlSeconds)
    .zadd(owned, record.createdAt, record.batchId)
    .zremrangebyscore(owned, '-inf', `(${record.createdAt - ttlSeconds * 1000}`)
    .expire(owned, ttlSeconds)
    .exec();
}

export async function deleteBatch(redis: RedisClient, prefix: QueuePrefix, batchId: string, keyId?: string): Promise<void> {
  await redis
    .multi()
    .del(queueKeys.batch(prefix, batchId))
    .zrem(queueKeys.batchesOf(prefix, keyId ?? ''), batchId)
    .exec();
}

/** Loads a batch's record, or undefined when unknown or expired. */
export async function loadBatch(redis: RedisClient, prefix: QueuePrefix, batchId: string): Promise<BatchRecord | undefined> {
  const [total, createdAt, customIds, keyId, callbackUrl, expiresAt, cancelledAt] = await redis.hmget(
    queueKeys.batch(prefix, batchId),
    'total',
    'created_at',
    'custom_ids',
    'key_id',
    'callback_url',
    'expires_at',
    'cancelled_at',
  );
  if (!total) return undefined;
  let ids: string[] = [];
  try {
    const parsed: unknown = JSON.parse(customIds ?? '[]');
    if (Array.isArray(parsed)) ids = parsed.map(String);
  } catch {
    ids = [];
  }
  return {
    batchId,
    total: Number(total),
    createdAt: Number(createdAt),
    customIds: ids,
    ...(keyId ? { keyId } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
    ...(expiresAt ? { expiresAt: Number(expiresAt) } : {}),
    ...(cancelledAt ? { cancelledAt: Number(cancelledAt) } : {}),
  };
}

/** Marks a batch cancelled (once: the first time is kept); true when this call did. */
export async function markBatchCancelled(redis: RedisClient, prefix: QueuePrefix, batchId: string, at: number): Promise<boolean> {
  return (await redis.hsetnx(queueKeys.batch(prefix, batchId), 'cancelled_at', String(at))) === 1;
}

/** A page of an owner's batch ids, newest first, after the batch `after` (exclusive). */
export async function listBatchIds(
  redis: RedisClient,
  prefix: QueuePrefix,
  keyId: string | undefined,
  options: { after?: string | undefined; limit: number },
): Promise<{ ids: string[]; hasMore: boolean }> {
  const owned = queueKeys.batchesOf(prefix, keyId ?? '');
  let max = '+inf';
  if (options.after !== undefined) {
    const score = await redis.zscore(owned, options.after);
    if (score === null) return { ids: [], hasMore: false };
    max = `(${score}`;
  }
  const ids = await redis.zrevrangebyscore(owned, max, '-inf', 'LIMIT', 0, options.limit + 1);
  return { ids: ids.slice(0, options.limit), hasMore: ids.length > options.limit };
}

/**
 * Notes that requests of a batch ended (idempotent: a set of job ids) in one script, and answers how many were new,
 * how many have ended in all and the batch's size: exactly the caller whose note took the count to the total sends
 * the batch's callback.
 */
export async function noteBatchRequestsEnded(
  redis: RedisClient,
  prefix: QueuePrefix,
  batchId: string,
  jobIds: readonly string[],
  ttlSeconds: number,
): Promise<{ added: number; ended: number; total: number }> {
  if (jobIds.length === 0) return { added: 0, ended: 0, total: 0 };
  const reply = await runLuaScript(redis, batchEnded, [queueKeys.batchEnded(prefix, batchId), queueKeys.batch(prefix, batchId)], [ttlSeconds, ...jobIds]);
  const [added = 0, ended = 0, total = 0] = Array.isArray(reply) ? reply.map(Number) : [];
  return { added, ended, total };
}

/** How many of a batch's requests were counted ended (`noteBatchRequestsEnded`), and its size (0: no record). */
export async function readBatchEndedCount(redis: RedisClient, prefix: QueuePrefix, batchId: string): Promise<{ ended: number; total: number }> {
  const replies = (await redis.pipeline().scard(queueKeys.batchEnded(prefix, batchId)).hget(queueKeys.batch(prefix, batchId), 'total').exec()) ?? [];
  const [[endedError, ended] = [null, 0], [totalError, total] = [null, null]] = replies;
  if (endedError) throw endedError;
  if (totalError) throw totalError;
  return { ended: Number(ended ?? 0), total: Number(total ?? 0) };
}

/** Whether a batch was cancelled (a worker checks before it starts one of its requests). */
export async function isBatchCancelled(redis: RedisClient, prefix: QueuePrefix, batchId: string): Promise<boolean> {
  return (await redis.hexists(queueKeys.batch(prefix, batchId), 'cancelled_at')) === 1;
}

/**
 * Claims a batch id made from an Idempotency-Key for `value` (the request's hash and size), for ttlSeconds, in one
 * SET NX: of concurrent duplicates exactly one claims it. Returns undefined when claimed, else the claim's value.
 */
export async function claimBatch(redis: RedisClient, prefix: QueuePrefix, batchId: string, value: string, ttlSeconds: number): Promise<string | undefined> {
  const key = queueKeys.batchClaim(prefix, batchId);
  const claimed = await redis.set(key, value, 'EX', ttlSeconds, 'NX');
  if (claimed === 'OK') return undefined;
  return (await redis.get(key)) ?? '';
}

/** Gives a claimed batch id back (its batch was refused or could not be enqueued). */
export async function releaseBatchClaim(redis: RedisClient, prefix: QueuePrefix, batchId: string): Promise<void> {
  await redis.del(queueKeys.batchClaim(prefix, batchId));
}
