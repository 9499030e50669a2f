import type { MonitoredCommand } from './redis-monitor';

/** The steps of a synchronous request, in order, plus what runs by the clock rather than per request. */
export const phases = ['admission', 'enqueue', 'worker fetch', 'provider bookkeeping', 'settle', 'reply', 'background', 'other'] as const;
export type Phase = (typeof phases)[number];

/** Commands of one (phase, step): `roundTrips` sent by a client, `commands` counting those run inside scripts too. */
export interface PhaseCount {
  phase: Phase;
  /** The script or command, e.g. `moveToActive` or `publish`. */
  step: string;
  /** Who sent it (api, worker, …). */
  owner: string;
  roundTrips: number;
  commands: number;
  /** The commands counted, by name (a script's own commands by theirs), e.g. {evalsha: 1, hset: 3}. */
  byCommand: Record<string, number>;
}

/** Where a key belongs, by the key families of docs/ARCHITECTURE.md. */
function phaseOfKey(key: string, owner: string): Phase | undefined {
  if (/:reply:/.test(key)) return 'reply';
  if (/:(rate|keys):/.test(key)) return 'admission';
  if (/:budget:/.test(key)) return owner.startsWith('api') ? 'admission' : 'settle';
  if (/:(pace|breaker):|:breaker$|provider-stats/.test(key)) return 'provider bookkeeping';
  return undefined;
}

const fetchCommands = new Set(['bzpopmin', 'bzpopmax', 'brpoplpush', 'blmove', 'bzmpop']);
const backgroundCommands = new Set([
  'subscribe',
  'psubscribe',
  'unsubscribe',
  'ping',
  'client',
  'info',
  'select',
  'hello',
  'script',
  'echo',
  'config',
  'cluster',
  'command',
  'time',
  'memory',
]);

/** The phase of a script, by the name `scriptName` gave it. */
function phaseOfScript(name: string, owner: string): Phase {
  if (/\+|^admit/.test(name)) return name.includes('+') ? 'enqueue' : 'admission';
  if (/^add(Standard|Prioritized|Delayed|Parent)Job/.test(name)) return 'enqueue';
  if (/^moveToActive/.test(name)) return 'worker fetch';
  if (/^(moveToFinished|budget-settle|budget-release|moveToDelayed)/.test(name)) return 'settle';
  if (/^(provider-pace|breaker-)/.test(name)) return 'provider bookkeeping';
  if (/^(extendLock|moveStalledJobsToWait|getCounts|getState|getRateLimitTtl|isMaxed|releaseLock|cleanJobsInSet)/.test(name)) return 'background';
  return owner.startsWith('api') ? 'admission' : 'other';
}

/** Is this XADD the `completed` or `failed` event of a job (`… event completed jobId …`)? */
function finishedEvent(args: readonly string[]): boolean {
  const at = args.indexOf('event');
  return at > 0 && (args[at + 1] === 'completed' || args[at + 1] === 'failed');
}

/** The phase of a command sent by a client (not from inside a script). */
function phaseOfCall(command: string, key: string, owner: string, script: string | undefined): Phase {
  if (script !== undefined) return phaseOfScript(script, owner);
  if (fetchCommands.has(command)) return 'worker fetch';
  if (backgroundCommands.has(command)) return 'background';
  const byKey = phaseOfKey(key, owner);
  if (byKey) return byKey;
  if (/:chat(?:-job|-batch)?:/.test(key)) return owner.startsWith('api') ? 'enqueue' : 'settle';
  return 'other';
}

/**
 * Attributes every command of a MONITOR trace to a phase of the request: a client's command by what it is (the
 * script's name for EVALSHA/EVAL), a command run inside a script by its key where the key tells (the admission
 * gate's rate and budget keys inside the fused admit-and-add script, the reply PUBLISH inside the settle script),
 * else by its script's phase. `owners` maps a client address to a process name; `scriptName` names a SHA.
 */
export function attributeCommands(trace: readonly MonitoredCommand[], owners: ReadonlyMap<string, string>, scriptName: (sha: string) => string): PhaseCount[] {
  const counts = new Map<string, PhaseCount>();
  const add = (phase: Phase, step: string, owner: string, roundTrip: boolean, command: string) => {
    const id = `${phase}\u0000${step}\u0000${owner}`;
    const entry = counts.get(id) ?? { phase, step, owner, roundTrips: 0, commands: 0, byCommand: {} };
    entry.commands += 1;
    entry.byCommand[command] = (entry.byCommand[command] ?? 0) + 1;
    if (roundTrip) entry.roundTrips += 1;
    counts.set(id, entry);
  };
  let current: { owner: string; script: string | undefined; phase: Phase } | undefined;
  for (const { client, args } of trace) {
    const command = (args[0] ?? '').toLowerCase();
    if (client === 'lua') {
      // Inside the script sent last: Redis runs one script at a time and reports its commands right after it.
      const owner = current?.owner ?? 'unknown';
      const script = current?.script ?? 'script';
      const phase = phaseOfKey(args[1] ?? '', owner) ?? current?.phase ?? 'other';
      add(phase, script, owner, false, command);
      // BullMQ's moveToFinished takes the next job after the finished one's event: the rest is the worker's fetch.
      if (current && /^moveToFinished/.test(script) && command === 'xadd' && finishedEvent(args))
        current = { ...current, script: `${script} (next job)`, phase: 'worker fetch' };
      continue;
    }
    const owner = owners.get(client) ?? 'unknown';
    const isScript = command === 'evalsha' || command === 'eval';
    const script = isScript ? scriptName(args[1] ?? '') : undefined;
    const key = isScript ? (args[3] ?? '') : (args[1] ?? '');
    const phase = phaseOfCall(command, key, owner, script);
    current = { owner, script: script ?? command, phase };
    add(phase, script ?? command, owner, true, command);
  }
  return [...counts.values()].sort((a, b) => phases.indexOf(a.phase) - phases.indexOf(b.phase) || b.commands - a.commands);
}
