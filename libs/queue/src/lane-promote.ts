// Lua files are imported as text: the reference brings the *.lua module declaration along.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { QueueKeys } from 'bullmq';
import { bullmqChangePriorityInclude } from './bullmq-internals';
import { queueNames } from './keys';
import { defineLuaFile, runLuaScript, type LuaScript } from './lua-script';
import promoteLaneJobsSource from './lua/promote-lane-jobs-7.lua';
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

/** promote-lane-jobs-7.lua, with BullMQ's changePriority script as its include (loaded on first use). */
function promoteLuaScript(): LuaScript {
  promoteScript ??= defineLuaFile('promote-lane-jobs-7.lua', promoteLaneJobsSource, bullmqChangePriorityInclude());
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
