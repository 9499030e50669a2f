// Lua files are imported as text; the declaration must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { queueKeys } from './keys';
import { defineLuaFile, runLuaScript } from './lua-script';
import type { RedisClient } from './redis-connection';
import batchEndedSource from './lua/batch-ended-2.lua';
import batchPageSource from './lua/batch-page-1.lua';
import type { QueuePrefix } from './prefixes';

const batchEnded = defineLuaFile('batch-ended-2.lua', batchEndedSource);
const batchPage = defineLuaFile('batch-page-1.lua', batchPageSource);

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
  /** The route its requests were written for (OpenAI's `endpoint`); absent: `/v1/chat/completions` (native batches). */
  endpoint?: string | undefined;
  /** The uploaded file it was made from (`POST /v1/files`), when it was. */
  inputFileId?: string | undefined;
  /** The completion window as given (`24h`). */
  completionWindow?: string | undefined;
  metadata?: Record<string, string> | undefined;
  /** Unix ms when its last request was first seen ended (set once, by the first view that sees it). */
  endedAt?: number | undefined;
  /** The tokens of its completed requests, summed once it ended (OpenAI's batch usage). */
  usage?: BatchTokenUsage | undefined;
}

/** Tokens a batch's completed requests used, summed. */
export interface BatchTokenUsage {
  input: number;
  cachedInput: number;
  output: number;
  reasoning: number;
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

/** The route of an Anthropic Message Batch's requests (its `endpoint`): listed apart, shown in Anthropic's shape. */
export const MESSAGE_BATCH_ENDPOINT = '/v1/messages';

/** Whether a batch is an Anthropic Message Batch (`POST /v1/messages/batches`). */
export function isMessageBatch(record: Pick<BatchRecord, 'endpoint'>): boolean {
  return record.endpoint === MESSAGE_BATCH_ENDPOINT;
}

/** Where a batch is listed under its owner: Anthropic's Message Batches apart from the others. */
function ownerIndex(prefix: QueuePrefix, record: Pick<BatchRecord, 'keyId' | 'endpoint'>): string {
  const owner = record.keyId ?? '';
  return isMessageBatch(record) ? queueKeys.messageBatchesOf(prefix, owner) : queueKeys.batchesOf(prefix, owner);
}

/**
 * Stores a batch's record for `ttlSeconds` (its jobs' results live as long) and lists it among its owner's
 * batches (a zset by creation time; entries older than the retention are trimmed on the way).
 */
export async function saveBatch(redis: RedisClient, prefix: QueuePrefix, record: BatchRecord, ttlSeconds: number): Promise<void> {
  const key = queueKeys.batch(prefix, record.batchId);
  const owned = ownerIndex(prefix, record);
  await redis
    .multi()
    .hset(key, {
      total: String(record.total),
      created_at: String(record.createdAt),
      custom_ids: JSON.stringify(record.customIds),
      ...(record.keyId ? { key_id: record.keyId } : {}),
      ...(record.callbackUrl ? { callback_url: record.callbackUrl } : {}),
      ...(record.expiresAt !== undefined ? { expires_at: String(record.expiresAt) } : {}),
      ...(record.endpoint ? { endpoint: record.endpoint } : {}),
      ...(record.inputFileId ? { input_file_id: record.inputFileId } : {}),
      ...(record.completionWindow ? { completion_window: record.completionWindow } : {}),
      ...(record.metadata ? { metadata: JSON.stringify(record.metadata) } : {}),
    })
    .expire(key, ttlSeconds)
    .zadd(owned, record.createdAt, record.batchId)
    .zremrangebyscore(owned, '-inf', `(${record.createdAt - ttlSeconds * 1000}`)
    .expire(owned, ttlSeconds)
    .exec();
}

/** Forgets a batch: its record, its listing and its ended requests' note (its jobs, and an Idempotency-Key's claim, stay). */
export async function deleteBatch(redis: RedisClient, prefix: QueuePrefix, record: Pick<BatchRecord, 'batchId' | 'keyId' | 'endpoint'>): Promise<void> {
  const { batchId } = record;
  await redis.multi().del(queueKeys.batch(prefix, batchId), queueKeys.batchEnded(prefix, batchId)).zrem(ownerIndex(prefix, record), batchId).exec();
}

function parsedJson(text: string | null | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

const recordFields = [
  'total',
  'created_at',
  'custom_ids',
  'key_id',
  'callback_url',
  'expires_at',
  'cancelled_at',
  'endpoint',
  'input_file_id',
  'completion_window',
  'metadata',
  'ended_at',
  'usage',
] as const;

/** Loads a batch's record, or undefined when unknown or expired. */
export async function loadBatch(redis: RedisClient, prefix: QueuePrefix, batchId: string): Promise<BatchRecord | undefined> {
  const values = await redis.hmget(queueKeys.batch(prefix, batchId), ...recordFields);
  const field = Object.fromEntries(recordFields.map((name, index) => [name, values[index] ?? undefined])) as Record<
    (typeof recordFields)[number],
    string | undefined
  >;
  if (!field.total) return undefined;
  const ids = parsedJson(field.custom_ids);
  const metadata = parsedJson(field.metadata);
  const usage = parsedJson(field.usage);
  return {
    batchId,
    total: Number(field.total),
    createdAt: Number(field.created_at),
    customIds: Array.isArray(ids) ? ids.map(String) : [],
    ...(field.key_id ? { keyId: field.key_id } : {}),
    ...(field.callback_url ? { callbackUrl: field.callback_url } : {}),
    ...(field.expires_at ? { expiresAt: Number(field.expires_at) } : {}),
    ...(field.cancelled_at ? { cancelledAt: Number(field.cancelled_at) } : {}),
    ...(field.endpoint ? { endpoint: field.endpoint } : {}),
    ...(field.input_file_id ? { inputFileId: field.input_file_id } : {}),
    ...(field.completion_window ? { completionWindow: field.completion_window } : {}),
    ...(metadata && typeof metadata === 'object' ? { metadata: metadata as Record<string, string> } : {}),
    ...(field.ended_at ? { endedAt: Number(field.ended_at) } : {}),
    ...(usage && typeof usage === 'object' ? { usage: usage as BatchTokenUsage } : {}),
  };
}

/**
 * Records when a batch was first seen ended, with its usage (once: the first writer's stays, and is returned).
 * The record's key keeps its expiry.
 */
export async function markBatchEnded(
  redis: RedisClient,
  prefix: QueuePrefix,
  batchId: string,
  at: number,
  usage: BatchTokenUsage,
): Promise<{ endedAt: number; usage: BatchTokenUsage }> {
  const key = queueKeys.batch(prefix, batchId);
  const replies =
    (await redis.multi().hsetnx(key, 'usage', JSON.stringify(usage)).hsetnx(key, 'ended_at', String(at)).hmget(key, 'ended_at', 'usage').exec()) ?? [];
  const [, stored] = replies[2] ?? [null, []];
  const [endedAt, storedUsage] = (stored as (string | null)[] | null) ?? [];
  const parsed = parsedJson(storedUsage);
  return { endedAt: endedAt ? Number(endedAt) : at, usage: parsed && typeof parsed === 'object' ? (parsed as BatchTokenUsage) : usage };
}

/** Marks a batch cancelled (once: the first time is kept); true when this call did. */
export async function markBatchCancelled(redis: RedisClient, prefix: QueuePrefix, batchId: string, at: number): Promise<boolean> {
  return (await redis.hsetnx(queueKeys.batch(prefix, batchId), 'cancelled_at', String(at))) === 1;
}

/**
 * A page of an owner's batch ids, newest first, after the batch `after` (exclusive), read by rank: batches made in
 * the same millisecond neither repeat nor go missing. An unknown cursor gives an empty page.
 */
export async function listBatchIds(
  redis: RedisClient,
  prefix: QueuePrefix,
  keyId: string | undefined,
  options: { after?: string | undefined; limit: number },
): Promise<{ ids: string[]; hasMore: boolean }> {
  return batchPageOf(redis, queueKeys.batchesOf(prefix, keyId ?? ''), 'after', options.after ?? '', options.limit);
}

async function batchPageOf(
  redis: RedisClient,
  index: string,
  direction: 'after' | 'before',
  cursor: string,
  limit: number,
): Promise<{ ids: string[]; hasMore: boolean }> {
  const reply = await runLuaScript(redis, batchPage, [index], [direction, cursor, limit]);
  const [hasMore = 0, ...ids] = Array.isArray(reply) ? (reply as (number | string)[]) : [];
  return { ids: ids.map(String), hasMore: hasMore === 1 };
}

/**
 * A page of an owner's Message Batches, newest first, as Anthropic pages them: the `limit` after `afterId` (older), or
 * the `limit` just before `beforeId` (newer), or the newest; `hasMore` when more lie beyond in the same direction. Read
 * by rank in one script, so batches made meanwhile or made in the same millisecond neither repeat nor go missing.
 * An unknown cursor gives an empty page.
 */
export async function listMessageBatchIds(
  redis: RedisClient,
  prefix: QueuePrefix,
  keyId: string | undefined,
  options: { afterId?: string | undefined; beforeId?: string | undefined; limit: number },
): Promise<{ ids: string[]; hasMore: boolean }> {
  const [direction, cursor] = options.beforeId !== undefined ? (['before', options.beforeId] as const) : (['after', options.afterId ?? ''] as const);
  return batchPageOf(redis, queueKeys.messageBatchesOf(prefix, keyId ?? ''), direction, cursor, options.limit);
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
