// The declaration of Lua imports must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { replyMessageSchema, type ReplyMessage } from '@gateway/contracts';
import { queueKeys } from './keys';
import { queueNameOfJob } from './job-ids';
import { defineLuaFile, runLuaScript } from './lua-script';
import type { RedisClient } from './redis-connection';
import { QueueKeys } from 'bullmq';
import streamAppend from './lua/stream-append-2.lua';
import streamWatch from './lua/stream-watch-1.lua';
import type { QueuePrefix } from './prefixes';

const appendScript = defineLuaFile('stream-append-2.lua', streamAppend);
const watchScript = defineLuaFile('stream-watch-1.lua', streamWatch);

/** How a resumable job's messages are kept. */
export interface JobStreamLimits {
  /** Most entries kept (older ones are trimmed; the end still carries the whole result). */
  maxMessages: number;
  /** Lifetime of the stream in seconds, renewed by every append: the job result's retention. */
  ttlSeconds: number;
}

/** One kept message and the Redis stream entry id after which the next ones are read. */
export interface KeptMessage {
  entryId: string;
  message: ReplyMessage;
}

/** BullMQ's lock key of a chat job in the queue its id names (`<prefix>:chat-job:<id>:lock`), computed as BullMQ does. */
const chatJobLockKey = (prefix: QueuePrefix, jobId: string) => `${new QueueKeys(prefix).toKey(queueNameOfJob(jobId), jobId)}:lock`;

/**
 * Keeps a message of a resumable job's stream and, when `replyTo` is given (an API instance relays it live),
 * publishes it there: one script, one round trip, like the PUBLISH of a stream that is not resumable. With
 * `lockToken` (the run's BullMQ lock token), the message is kept only while that run holds the job's lock: false
 * when refused (the lock lapsed, and another run may be going on with the stream), true when kept.
 */
export async function appendStreamMessage(
  redis: RedisClient,
  prefix: QueuePrefix,
  jobId: string,
  message: ReplyMessage,
  limits: JobStreamLimits,
  replyTo?: string,
  lockToken?: string,
): Promise<boolean> {
  const channel = replyTo === undefined ? '' : queueKeys.replyChannel(prefix, replyTo);
  const kept = await runLuaScript(
    redis,
    appendScript,
    [queueKeys.jobStream(prefix, jobId), chatJobLockKey(prefix, jobId)],
    [JSON.stringify(message), limits.maxMessages, limits.ttlSeconds * 1000, channel, lockToken ?? ''],
  );
  return kept === 1;
}

/** XREAD's and XRANGE's entries: [entry id, [field, value, …]]. */
export type StreamEntries = Array<[string, string[]]>;

/** The kept messages of stream entries (an entry that does not parse is skipped). */
export function parseEntries(entries: StreamEntries): KeptMessage[] {
  const kept: KeptMessage[] = [];
  for (const [entryId, fields] of entries) {
    const index = fields.indexOf('m');
    const parsed = index >= 0 ? replyMessageSchema.safeParse(JSON.parse(fields[index + 1] ?? 'null')) : undefined;
    if (parsed?.success) kept.push({ entryId, message: parsed.data });
  }
  return kept;
}

/** Every kept message of a job's stream after `afterEntryId` (from the start when omitted), in order. */
export async function readStreamMessages(redis: RedisClient, prefix: QueuePrefix, jobId: string, afterEntryId?: string): Promise<KeptMessage[]> {
  const start = afterEntryId === undefined ? '-' : `(${afterEntryId}`;
  const entries = (await redis.xrange(queueKeys.jobStream(prefix, jobId), start, '+')) as StreamEntries;
  return parseEntries(entries);
}

/**
 * Waits up to blockMs for messages after `afterEntryId` (XREAD BLOCK): the live rest of a stream read by an API
 * instance that does not receive its PUBLISHes. Needs a connection of its own (it blocks).
 */
export async function waitForStreamMessages(
  blocking: RedisClient,
  prefix: QueuePrefix,
  jobId: string,
  afterEntryId: string,
  blockMs: number,
): Promise<KeptMessage[]> {
  const reply = (await blocking.xread('BLOCK', blockMs, 'STREAMS', queueKeys.jobStream(prefix, jobId), afterEntryId)) as Array<[string, StreamEntries]> | null;
  return reply ? parseEntries(reply[0]?.[1] ?? []) : [];
}

/** Adds a client (its token) to the watchers of a job's stream, for ttlSeconds: no grace cancels the job while it watches. */
export async function addStreamWatcher(redis: RedisClient, prefix: QueuePrefix, jobId: string, token: string, ttlSeconds: number): Promise<void> {
  await runLuaScript(redis, watchScript, [queueKeys.jobStreamWatchers(prefix, jobId)], ['attach', token, ttlSeconds]);
}

/** Removes a client that went away from the watchers (and notes when): its grace starts. */
export async function removeStreamWatcher(redis: RedisClient, prefix: QueuePrefix, jobId: string, token: string): Promise<void> {
  await runLuaScript(redis, watchScript, [queueKeys.jobStreamWatchers(prefix, jobId)], ['leave', token]);
}

/**
 * The end of a resumable stream's grace: cancels the job (a cancel message to the workers) when nobody watches its
 * stream and the last client left at least `graceMs` ago (a later leaver's own grace decides otherwise); true when it did.
 */
export async function cancelUnwatchedStream(redis: RedisClient, prefix: QueuePrefix, jobId: string, graceMs: number): Promise<boolean> {
  const reply = await runLuaScript(
    redis,
    watchScript,
    [queueKeys.jobStreamWatchers(prefix, jobId)],
    ['expire', '', graceMs, queueKeys.cancelChannel(prefix), jobId],
  );
  return Number(reply) === 1;
}
