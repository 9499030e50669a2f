import type { MonitoredCommand } from './redis-monitor';

/**
 * What a key is for, by its hash tag and name: the families whose slot decides which master of a cluster serves
 * them. Per-key families carry the API key's id, so a design that gives each key its own slot can move them.
 */
export type KeyFamily =
  | 'queue'
  | 'reply publish'
  | 'key store'
  | 'global ledger'
  | 'per-job billing'
  | 'per-key ledger'
  | 'per-key rate bucket'
  | 'other rate buckets'
  | 'other tagged'
  | 'no key';

export const keyFamilies: readonly KeyFamily[] = [
  'queue',
  'reply publish',
  'key store',
  'global ledger',
  'per-job billing',
  'per-key ledger',
  'per-key rate bucket',
  'other rate buckets',
  'other tagged',
  'no key',
];

/** The hash tag of a key as Redis Cluster reads it: the first `{…}` with something inside, else undefined. */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close <= open + 1) return undefined;
  return key.slice(open + 1, close);
}

/** The family of one key (or pub/sub channel); `queueTag` is the queue prefix's tag (`gw` for `{gw}`). */
export function keyFamily(key: string | undefined, queueTag: string): KeyFamily {
  if (key === undefined) return 'no key';
  const tag = hashTag(key);
  if (tag === queueTag) return 'queue';
  if (tag === 'keys') return 'key store';
  if (tag !== 'spend') return 'other tagged';
  if (key.includes(':rate:{spend}:key:')) return 'per-key rate bucket';
  if (key.includes(':rate:{spend}:')) return 'other rate buckets';
  if (key.includes(':budget:{spend}:key:')) return 'per-key ledger';
  if (key.includes(':budget:{spend}:job:')) return 'per-job billing';
  return 'global ledger';
}

/** The API key id a per-key key belongs to (`…:{spend}:key:<id>` or `…:{spend}:key:<id>:inflight`). */
export function apiKeyIdOf(key: string): string | undefined {
  return /:\{spend\}:key:([^:]+)/.exec(key)?.[1];
}

const keyless = new Set(['ping', 'time', 'info', 'cluster', 'client', 'echo', 'monitor', 'hello', 'select', 'readonly', 'script', 'multi', 'exec', 'quit']);
const scriptCalls = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

const isPublish = (args: readonly string[]): boolean => ['publish', 'spublish'].includes((args[0] ?? '').toLowerCase());

/** Is this command a script call (its own commands follow it in the trace as `lua`)? */
export const isScriptCall = (args: readonly string[]): boolean => scriptCalls.has((args[0] ?? '').toLowerCase());

/** The first key (or channel) a command names, as far as the families need it. */
export function firstKey(args: readonly string[]): string | undefined {
  const name = (args[0] ?? '').toLowerCase();
  if (keyless.has(name)) return undefined;
  if (scriptCalls.has(name)) return Number(args[2] ?? 0) > 0 ? args[3] : undefined;
  if (name === 'xread' || name === 'xreadgroup') {
    const streams = args.findIndex((arg) => arg.toLowerCase() === 'streams');
    return streams >= 0 ? args[streams + 1] : undefined;
  }
  if (name === 'bzpopmin' || name === 'bzpopmax' || name === 'blpop' || name === 'brpop') return args[1];
  return args[1];
}

/** Commands one master served, by family, and the script calls by script and the families their commands touched. */
export interface MasterTrace {
  total: number;
  byFamily: Map<KeyFamily, number>;
  /** script name → family → commands (the call itself counted under the family of its first key). */
  byScript: Map<string, Map<KeyFamily, number>>;
  /** script name → calls. */
  scriptCalls: Map<string, number>;
  /** family → command name (upper case) → count. */
  byCommand: Map<KeyFamily, Map<string, number>>;
  /** API key id → commands on that key's own keys (per-key ledger and rate bucket). */
  byApiKey: Map<string, number>;
}

const bump = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

/**
 * Sorts one master's MONITOR trace into families. A script's own commands come right after its call, marked `lua`
 * (Redis runs one script at a time), so each is also booked to the script that ran it. `skip` drops the bench's own
 * commands.
 */
export function traceByFamily(
  trace: readonly MonitoredCommand[],
  queueTag: string,
  nameOf: (shaOrSource: string) => string,
  skip: (command: MonitoredCommand) => boolean,
): MasterTrace {
  const result: MasterTrace = { total: 0, byFamily: new Map(), byScript: new Map(), scriptCalls: new Map(), byCommand: new Map(), byApiKey: new Map() };
  let script: string | undefined;
  for (const command of trace) {
    const inside = command.client === 'lua';
    if (!inside && skip(command)) {
      script = undefined;
      continue;
    }
    const key = firstKey(command.args);
    // A PUBLISH runs where it is sent (a script's slot) and the cluster bus carries it to the subscriber's node.
    const family = isPublish(command.args) ? 'reply publish' : keyFamily(key, queueTag);
    result.total += 1;
    bump(result.byFamily, family);
    const commands = result.byCommand.get(family) ?? new Map<string, number>();
    bump(commands, (command.args[0] ?? '').toUpperCase());
    result.byCommand.set(family, commands);
    if (key !== undefined && (family === 'per-key ledger' || family === 'per-key rate bucket')) {
      const id = apiKeyIdOf(key);
      if (id !== undefined) bump(result.byApiKey, id);
    }
    // EVAL carries the source, EVALSHA its SHA-1: the namer knows both.
    if (!inside) {
      script = isScriptCall(command.args) ? nameOf(command.args[1] ?? '') : undefined;
      if (script !== undefined) bump(result.scriptCalls, script);
    }
    if (script === undefined) continue;
    const families = result.byScript.get(script) ?? new Map<KeyFamily, number>();
    bump(families, family);
    result.byScript.set(script, families);
  }
  return result;
}

/** Shares in percent of each value in the total. */
export function shares(values: readonly number[]): number[] {
  const total = values.reduce((sum, value) => sum + value, 0);
  return values.map((value) => (total === 0 ? 0 : (value / total) * 100));
}
