// The declaration of BullMQ's script sources must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./bullmq-scripts.d.ts" />
import { QueueKeys } from 'bullmq';
import { changePriority } from 'bullmq/dist/cjs/scripts';
import { queueNames } from './keys';
import { defineLuaScript, runLuaScript, type LuaScript } from './lua-script';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

/** The keys of the chat queue promotion touches (BullMQ's `queue.keys`), and the prefix of its job keys. */
export interface PromoteKeys {
  wait: string;
  paused: string;
  meta: string;
  prioritized: string;
  active: string;
  pc: string;
  marker: string;
  /** `queue.toKey('')`: a job's hash is this plus its id. */
  jobKeyPrefix: string;
}

/** The chat queue's keys promotion touches, under a BullMQ prefix (computed as BullMQ does, no connection needed). */
export function chatPromoteKeys(prefix: QueuePrefix): PromoteKeys {
  const keys = new QueueKeys(prefix);
  const all = keys.getKeys(queueNames.chat);
  const key = (name: string) => all[name] ?? keys.toKey(queueNames.chat, name);
  return {
    wait: key('wait'),
    paused: key('paused'),
    meta: key('meta'),
    prioritized: key('prioritized'),
    active: key('active'),
    pc: key('pc'),
    marker: key('marker'),
    jobKeyPrefix: keys.toKey(queueNames.chat, ''),
  };
}

let promoteScript: LuaScript | undefined;

/**
 * BullMQ's own changePriority script, called as a local function for each of the first `count` jobs of a range
 * of priorities (fair-share order): each moves to the wait list (priority 0) exactly as `job.changePriority`
 * would, with the queue's marker, pause and rate-limit rules. One atomic script; replies how many moved.
 */
function promoteLuaScript(): LuaScript {
  promoteScript ??= defineLuaScript(
    'promote-lane-jobs',
    `local function changePriority(KEYS, ARGV)\n${changePriority.content}\nend
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], ARGV[1], '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do changePriority(KEYS, {'0', ARGV[4], id, '0'}) end
return #ids`,
    7,
  );
  return promoteScript;
}

/** Moves up to `count` jobs of the priority range [low, high) to the front (the wait list); how many moved. */
export async function promoteLaneJobs(redis: RedisClient, keys: PromoteKeys, range: { low: number; high: number }, count: number): Promise<number> {
  const scale = 2 ** 32;
  const reply = await runLuaScript(
    redis,
    promoteLuaScript(),
    [keys.wait, keys.paused, keys.meta, keys.prioritized, keys.active, keys.pc, keys.marker],
    [(range.low * scale).toFixed(0), (range.high * scale).toFixed(0), Math.max(0, Math.floor(count)), keys.jobKeyPrefix],
  );
  return Number(reply);
}
