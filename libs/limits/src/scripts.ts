// Lua files are imported as text; the declaration must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { defineLuaFile, runLuaScript, type GateScript, type LuaScript, type RedisClient } from '@gateway/queue';
import { limitIncludes } from './lua-includes';
import admit from './lua/admit-12.lua';
import admitGateSource from './lua/admit-gate.lua';
import admitOnceGateSource from './lua/admit-once-gate.lua';
import batchCapSettle from './lua/batch-cap-settle-1.lua';
import batchCapStart from './lua/batch-cap-start-1.lua';
import billingClear from './lua/billing-clear-1.lua';
import budgetRelease from './lua/budget-release-6.lua';
import budgetReserve from './lua/budget-reserve.lua';
import budgetSettle from './lua/budget-settle-14.lua';
import callStart from './lua/call-start-4.lua';
import deploymentPause from './lua/deployment-pause-1.lua';
import deploymentTake from './lua/deployment-take-1.lua';
import priceLockRetry from './lua/price-lock-retry-1.lua';
import providerPace from './lua/provider-pace-2.lua';
import rate from './lua/rate-2.lua';
import responseCacheClear from './lua/response-cache-clear-2.lua';
import responseCacheLookup from './lua/response-cache-lookup-2.lua';
import responseCacheRelease from './lua/response-cache-release-1.lua';
import responseCacheStore from './lua/response-cache-store-4.lua';
import responseCacheUsage from './lua/response-cache-usage-2.lua';
import usageFold from './lua/usage-fold-1.lua';

/**
 * The reply codes of the limits scripts (their first value): negative a refusal, positive done. The Lua side reads
 * them by these names from includes/codes.lua, which lua-files.spec.ts checks against this enum.
 */
export enum LimitScriptCode {
  RateLimited = -1,
  CostExceedsCapacity = -2,
  DailyExceeded = -3,
  MonthlyExceeded = -4,
  Paused = -5,
  KeyDailyExceeded = -6,
  KeyMonthlyExceeded = -7,
  BatchCapReached = -8,
  /** admit-once-gate: the job already exists. */
  Duplicate = -9,
  /** admit-once-gate: the job was billed and is gone. */
  Spent = -10,
  /** rate-2: the caller's bucket (above its agents') refused. */
  CallerRateLimited = -11,
  /** response-cache-store-4: the answer alone is larger than its scope's quota (not kept). */
  CacheTooLarge = -12,
  Done = 1,
  AlreadyDone = 2,
  /** response-cache-lookup-2: the entry (its JSON follows). */
  CacheHit = 3,
  /** response-cache-lookup-2: the asking job holds the in-flight mark: it calls and fills the entry. */
  CacheLead = 4,
  /** response-cache-lookup-2: another job holds the mark (its id follows). */
  CacheInFlight = 5,
}

export type { LuaScript };

const script = (fileName: string, source: string) => defineLuaFile(fileName, source, limitIncludes);

export const scripts = {
  rate: script('rate-2.lua', rate),
  providerPace: script('provider-pace-2.lua', providerPace),
  deploymentTake: script('deployment-take-1.lua', deploymentTake),
  deploymentPause: script('deployment-pause-1.lua', deploymentPause),
  budgetReserve: script('budget-reserve.lua', budgetReserve),
  budgetSettle: script('budget-settle-14.lua', budgetSettle),
  usageFold: script('usage-fold-1.lua', usageFold),
  budgetRelease: script('budget-release-6.lua', budgetRelease),
  billingClear: script('billing-clear-1.lua', billingClear),
  callStart: script('call-start-4.lua', callStart),
  priceLockRetry: script('price-lock-retry-1.lua', priceLockRetry),
  batchCapStart: script('batch-cap-start-1.lua', batchCapStart),
  batchCapSettle: script('batch-cap-settle-1.lua', batchCapSettle),
  admit: script('admit-12.lua', admit),
  responseCacheLookup: script('response-cache-lookup-2.lua', responseCacheLookup),
  responseCacheStore: script('response-cache-store-4.lua', responseCacheStore),
  responseCacheRelease: script('response-cache-release-1.lua', responseCacheRelease),
  responseCacheClear: script('response-cache-clear-2.lua', responseCacheClear),
  responseCacheUsage: script('response-cache-usage-2.lua', responseCacheUsage),
};

/** Admission as the gate of a job's add (addJobBehindGate): admit-12's keys and args, its reply. */
export const admitGate: GateScript = { fileName: 'admit-gate.lua', source: admitGateSource, includes: limitIncludes };

/** Admission as the gate of an idempotent job's add: admit-12's keys plus the job's hash, so a duplicate takes nothing. */
export const admitOnceGate: GateScript = { fileName: 'admit-once-gate.lua', source: admitOnceGateSource, includes: limitIncludes };

/** Runs a script whose reply is an array of integers, and returns them as numbers (`runLuaScript`: the raw reply). */
export async function runIntegerScript(
  redis: RedisClient,
  lua: LuaScript,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
): Promise<number[]> {
  const reply = await runLuaScript(redis, lua, keys, args);
  if (!Array.isArray(reply)) throw new Error(`${lua.name} returned ${typeof reply}`);
  return reply.map((value) => Number(value));
}
