// Lua files are imported as text; the declaration must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { defineLuaFile as script, keyCountOf, runLuaScript, type GateScript, type LuaScript, type RedisClient } from '@gateway/queue';
import admit from './lua/admit-12.lua';
import admitGateSource from './lua/admit-gate.lua';
import admitOnceGateSource from './lua/admit-once-gate.lua';
import batchCapSettle from './lua/batch-cap-settle-1.lua';
import batchCapStart from './lua/batch-cap-start-1.lua';
import billingClear from './lua/billing-clear-1.lua';
import budgetRelease from './lua/budget-release-6.lua';
import budgetReserve from './lua/budget-reserve.lua';
import budgetSettle from './lua/budget-settle-12.lua';
import callStart from './lua/call-start-4.lua';
import priceLockRetry from './lua/price-lock-retry-1.lua';
import providerPace from './lua/provider-pace-2.lua';
import rate from './lua/rate-2.lua';
import reservationDrop from './lua/reservation-drop-2.lua';
import tokenBucket from './lua/token-bucket-1.lua';
import usageFold from './lua/usage-fold-1.lua';

/** Failure codes the Lua scripts return as their first element (negative), by name. */
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
}

/** Success codes (positive). */
export enum LimitScriptOk {
  Done = 1,
  AlreadyDone = 2,
}

export type { LuaScript };

/** A whole script as a local Lua function of (KEYS, ARGV), so another script can call it: its returns become the function's. */
function asLuaFunction(name: string, source: string, ...extraParams: string[]): string {
  return `local function ${name}(${['KEYS', 'ARGV', ...extraParams].join(', ')})\n${source}\nend\n`;
}

/** budget-reserve.lua takes the caller's clock reading as NOW; run on its own, it reads TIME. */
const reserveFunction = asLuaFunction('budgetReserve', budgetReserve, 'NOW');

/** rate-2.lua as the local function rate, with the token bucket it calls. */
const rateFunction = asLuaFunction('tokenBucket', tokenBucket) + asLuaFunction('rate', rate);

export const scripts = {
  tokenBucket: script('token-bucket-1.lua', tokenBucket),
  rate: script('rate-2.lua', rate, asLuaFunction('tokenBucket', tokenBucket)),
  providerPace: script('provider-pace-2.lua', providerPace, asLuaFunction('tokenBucket', tokenBucket)),
  budgetReserve: script('budget-reserve.lua', budgetReserve, 'local NOW = nil\n'),
  budgetSettle: script('budget-settle-12.lua', budgetSettle, asLuaFunction('dropReservation', reservationDrop) + asLuaFunction('foldUsage', usageFold)),
  usageFold: script('usage-fold-1.lua', usageFold),
  budgetRelease: script('budget-release-6.lua', budgetRelease, asLuaFunction('dropReservation', reservationDrop)),
  billingClear: script('billing-clear-1.lua', billingClear),
  callStart: script('call-start-4.lua', callStart),
  priceLockRetry: script('price-lock-retry-1.lua', priceLockRetry),
  batchCapStart: script('batch-cap-start-1.lua', batchCapStart),
  batchCapSettle: script('batch-cap-settle-1.lua', batchCapSettle),
  admit: script('admit-12.lua', admit, rateFunction + reserveFunction),
};

/** admit-12.lua's keys: those of both gates (the idempotent one adds the job's hash). */
const admitKeys = keyCountOf('admit-12.lua') as number;
const admitArgs = 18;

/** Admission as the gate of a job's add (addJobBehindGate): admit-12's keys and args, its reply. */
export const admitGate: GateScript = {
  name: 'admit-gate',
  source: rateFunction + reserveFunction + asLuaFunction('admit', admit) + admitGateSource,
  keyCount: admitKeys,
  argCount: admitArgs,
};

/** Admission as the gate of an idempotent job's add: admit-12's keys plus the job's hash, so a duplicate takes nothing. */
export const admitOnceGate: GateScript = {
  name: 'admit-once-gate',
  source: rateFunction + reserveFunction + asLuaFunction('admit', admit) + asLuaFunction('clearReleased', billingClear) + admitOnceGateSource,
  keyCount: admitKeys + 1,
  argCount: admitArgs,
};

/** Runs a script whose reply is an array of integers, and returns them as numbers (`runLuaScript`: the raw reply). */
export async function runIntegerScript(redis: RedisClient, lua: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<number[]> {
  const reply = await runLuaScript(redis, lua, keys, args);
  if (!Array.isArray(reply)) throw new Error(`${lua.name} returned ${typeof reply}`);
  return reply.map((value) => Number(value));
}
