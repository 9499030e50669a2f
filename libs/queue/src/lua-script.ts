import { createHash } from 'node:crypto';
import { resolveLuaIncludes, type LuaIncludes } from './lua-includes';
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

/**
 * A script defined by its file's name, as BullMQ names its own: `name-N.lua` takes N keys, `name.lua` any number.
 * Its `--- @include "includes/<name>"` lines are resolved from `includes` (see resolveLuaIncludes).
 */
export function defineLuaFile(fileName: string, source: string, includes: LuaIncludes = {}): LuaScript {
  return defineLuaScript(luaFileName(fileName).name, resolveLuaIncludes(fileName, source, includes), keyCountOf(fileName));
}

function luaFileName(fileName: string): { name: string; keys: number | undefined } {
  const match = /^([a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)(?:-(\d+))?\.lua$/.exec(fileName);
  if (!match?.[1]) throw new Error(`${fileName}: a Lua file is named <name>.lua or <name>-<key count>.lua`);
  return { name: match[1], keys: match[2] === undefined ? undefined : Number(match[2]) };
}

/** The key count a Lua file's name gives (`admit-12.lua`: 12), 'variable' for a name without one. */
export function keyCountOf(fileName: string): number | 'variable' {
  return luaFileName(fileName).keys ?? 'variable';
}

/** Runs a script (EVALSHA, then EVAL on NOSCRIPT, e.g. after a Redis restart) and returns its raw reply. */
export function runLuaScript(redis: RedisClient, lua: LuaScript, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
  return run(redis, lua, keys, args, false);
}

/** Runs a script as runLuaScript does, its bulk replies as bytes (a large reply framed by the script, never decoded whole to a string). */
export function runLuaScriptBuffer(redis: RedisClient, lua: LuaScript, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
  return run(redis, lua, keys, args, true);
}

async function run(
  redis: RedisClient,
  lua: LuaScript,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
  asBuffer: boolean,
): Promise<unknown> {
  if (lua.numberOfKeys !== 'variable' && keys.length !== lua.numberOfKeys) throw new Error(`${lua.name} takes ${lua.numberOfKeys} keys, got ${keys.length}`);
  const argv = args.map((arg) => (Buffer.isBuffer(arg) ? arg : String(arg)));
  try {
    return await (asBuffer ? redis.callBuffer('EVALSHA', [lua.sha, keys.length, ...keys, ...argv]) : redis.evalsha(lua.sha, keys.length, ...keys, ...argv));
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return asBuffer ? redis.callBuffer('EVAL', [lua.source, keys.length, ...keys, ...argv]) : redis.eval(lua.source, keys.length, ...keys, ...argv);
  }
}
