// Apps typecheck only what they import: the reference brings the *.lua module declaration along.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import { createHash } from 'node:crypto';
import type { RedisClient } from '@gateway/queue';
import breakerAcquire from './lua/breaker-acquire-1.lua';
import breakerRecord from './lua/breaker-record-1.lua';

/** A Lua script with its key count; run by EVALSHA, falling back to EVAL when Redis does not know it yet. */
export interface LuaScript {
  name: string;
  source: string;
  sha: string;
  numberOfKeys: number;
}

function script(name: string, source: string, numberOfKeys: number): LuaScript {
  return { name, source, numberOfKeys, sha: createHash('sha1').update(source).digest('hex') };
}

export const breakerScripts = {
  acquire: script('breaker-acquire', breakerAcquire, 1),
  record: script('breaker-record', breakerRecord, 1),
};

/** Runs a script (EVALSHA, then EVAL on NOSCRIPT) and returns its raw reply. */
export async function runScript(redis: RedisClient, lua: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  if (keys.length !== lua.numberOfKeys) throw new Error(`${lua.name} takes ${lua.numberOfKeys} keys, got ${keys.length}`);
  const argv = args.map(String);
  try {
    return await redis.evalsha(lua.sha, keys.length, ...keys, ...argv);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return redis.eval(lua.source, keys.length, ...keys, ...argv);
  }
}
