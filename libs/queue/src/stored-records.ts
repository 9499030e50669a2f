import { queueKeys } from './keys';
import type { QueuePrefix } from './prefixes';
import type { RedisClient } from './redis-connection';

/** Where a route keeps its records: the owner (a key id, or '' for callers without a key), lifetime and bound. */
export interface StoredRecordPlace {
  owner: string;
  ttlSeconds: number;
  /** Most records one owner keeps at once (expired ones do not count). */
  maxPerOwner: number;
}

/**
 * Stores a record (a route's JSON, opaque here) for `ttlSeconds` and lists it under its owner. False, storing
 * nothing, when the owner already keeps `maxPerOwner` records. The count and the write are two round trips: two
 * racing writes may both pass a bound they reach together, by one each.
 */
export async function saveStoredRecord(redis: RedisClient, prefix: QueuePrefix, id: string, json: string, place: StoredRecordPlace): Promise<boolean> {
  const index = queueKeys.storedRecordsOf(prefix, place.owner);
  const now = Date.now();
  const [, count] = (await redis.multi().zremrangebyscore(index, '-inf', now).zcard(index).exec()) ?? [];
  const kept = Number(count?.[1] ?? 0);
  if (kept >= place.maxPerOwner) return false;
  await redis
    .multi()
    .set(queueKeys.storedRecord(prefix, id), json, 'EX', place.ttlSeconds)
    .zadd(index, now + place.ttlSeconds * 1000, id)
    .pexpire(index, place.ttlSeconds * 1000)
    .exec();
  return true;
}

/** Replaces a stored record's JSON, keeping its lifetime (nothing when it is gone). */
export async function updateStoredRecord(redis: RedisClient, prefix: QueuePrefix, id: string, json: string): Promise<void> {
  await redis.set(queueKeys.storedRecord(prefix, id), json, 'KEEPTTL', 'XX');
}

/** A stored record's JSON; undefined when it is gone. */
export async function readStoredRecord(redis: RedisClient, prefix: QueuePrefix, id: string): Promise<string | undefined> {
  return (await redis.get(queueKeys.storedRecord(prefix, id))) ?? undefined;
}

/** Deletes a stored record; true when it existed. */
export async function deleteStoredRecord(redis: RedisClient, prefix: QueuePrefix, id: string, owner: string): Promise<boolean> {
  const [deleted] = (await redis.multi().del(queueKeys.storedRecord(prefix, id)).zrem(queueKeys.storedRecordsOf(prefix, owner), id).exec()) ?? [];
  return Number(deleted?.[1] ?? 0) === 1;
}
