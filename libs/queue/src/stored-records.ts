// The declaration of Lua imports must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { queueKeys } from './keys';
import { defineLuaFile, runLuaScript } from './lua-script';
import recordSave from './lua/record-save-2.lua';
import type { QueuePrefix } from './prefixes';
import type { RedisClient } from './redis-connection';

const saveScript = defineLuaFile('record-save-2.lua', recordSave);

/** Where a route keeps its records: the owner (a key id, or '' for callers without a key), lifetime and bound. */
export interface StoredRecordPlace {
  owner: string;
  ttlSeconds: number;
  /** Most records one owner keeps at once (expired ones do not count). */
  maxPerOwner: number;
}

/** What record-save-2.lua answers when it refuses (else the owner's count). */
export enum StoredRecordCode {
  /** The owner keeps `maxPerOwner` records already: nothing stored. */
  Full = -1,
}

/**
 * Stores a record (a route's JSON, opaque here) for `ttlSeconds` and lists it under its owner; answers how many
 * records the owner keeps with it, or undefined, storing nothing, when it already keeps `maxPerOwner`. One script
 * (one round trip): the bound holds against racing writes. Storing an id its owner lists already (a retry) replaces
 * it, whatever the count.
 */
export async function saveStoredRecord(
  redis: RedisClient,
  prefix: QueuePrefix,
  id: string,
  json: string,
  place: StoredRecordPlace,
): Promise<number | undefined> {
  const keys = [queueKeys.storedRecord(prefix, id), queueKeys.storedRecordsOf(prefix, place.owner)];
  const reply = Number(await runLuaScript(redis, saveScript, keys, [id, json, Date.now(), place.ttlSeconds * 1000, place.maxPerOwner]));
  return reply === StoredRecordCode.Full ? undefined : reply;
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
