import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection';

/** A Lua script with its key count; run by EVALSHA, falling back to EVAL when Redis does not know it yet. */
export interface LuaScript {
  name: string;
  source: string;
  sha: string;
  /** Keys it takes; 'variable' for a script that takes any number (e.g. one per job of a batch). */
  numberOfKeys: number | 'variable';
}

export function defineLuaScript(name: string, source: string, numberOfKeys: number | 'variable'): LuaScript {
  return { name, source, numberOfKeys, sha: createHash('sha1').update(source).digest('hex') };
}

/** Runs a script (EVALSHA, then EVAL on NOSCRIPT, e.g. after a Redis restart) and returns its raw reply. */
export async function runLuaScript(redis: RedisClient, lua: LuaScript, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
  if (lua.numberOfKeys !== 'variable' && keys.length !== lua.numberOfKeys) throw new Error(`${lua.name} takes ${lua.numberOfKeys} keys, got ${keys.length}`);
  const argv = args.map((arg) => (Buffer.isBuffer(arg) ? arg : String(arg)));
  try {
    return await redis.evalsha(lua.sha, keys.length, ...keys, ...argv);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return redis.eval(lua.source, keys.length, ...keys, ...argv);
  }
}
