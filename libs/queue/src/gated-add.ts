// The declaration of BullMQ's script sources must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./bullmq-scripts.d.ts" />
import { Job, type JobsOptions, type Queue } from 'bullmq';
import * as bullScripts from 'bullmq/dist/cjs/scripts';
import type { BullScript } from 'bullmq/dist/cjs/scripts';
import { defineLuaScript, runLuaScript, type LuaScript } from './lua-script';
import type { RedisClient } from './redis-connection';

/**
 * A gate: Lua source defining `local function gate(KEYS, ARGV)` that returns its reply (a table) and whether the
 * job may enter (admission: the rate limit and the budget reservation), and how many keys and args it takes.
 */
export interface GateScript {
  name: string;
  source: string;
  keyCount: number;
  argCount: number;
}

/** A job to add with a known id: its name, data and BullMQ options (priority, …). */
export interface GatedJob<Data> {
  name: string;
  data: Data;
  opts: JobsOptions & { jobId: string };
}

/** The queues a job can be added to behind a gate (the gateway's chat queue). */
export type GatedQueue<Data, Result = unknown> = Queue<Data, Result>;

/** What the gate decided (its reply), and what BullMQ's add answered when the gate let the job in. */
export interface GatedAddResult {
  gateReply: unknown[];
  /** The job's id when added; a negative BullMQ code when the add refused it; undefined when the gate was closed. */
  added: string | number | undefined;
}

/** The add step BullMQ's backend would run for a job: its script and the keys and args it would pass. */
function bullAddCommand<Data, Result>(queue: Queue<Data, Result>, job: { name: string; data: Data; opts: JobsOptions & { jobId: string } }) {
  let recorded: { name: string; args: Array<string | Buffer> } | undefined;
  // The backend's public transaction step (kept for flow producers) queues one script command on the client it
  // is given, synchronously: a recorder takes it instead of a Redis transaction.
  const recorder = {
    runCommand(name: string, args: Array<string | Buffer>) {
      recorded = { name, args };
      return recorder;
    },
  };
  const bullJob = new Job<Data, Result>(queue, job.name, job.data, { ...queue.defaultJobOptions, ...job.opts }, job.opts.jobId);
  void queue.backend
    .addJobToTransaction(recorder as unknown as Parameters<typeof queue.backend.addJobToTransaction>[0], bullJob.asJSON(), job.opts.jobId)
    .catch(() => undefined);
  const command = recorded;
  const script = command ? (bullScripts as Record<string, BullScript | undefined>)[command.name.split(':')[0] ?? ''] : undefined;
  if (!command || !script)
    throw new Error(`cannot gate BullMQ's add (${command?.name ?? 'no command'}): is this the BullMQ version the gateway was built for?`);
  return { script, keys: command.args.slice(0, script.keys) as string[], args: command.args.slice(script.keys) };
}

/**
 * Whether this BullMQ's add step can be gated (its backend hands over a script this code knows): checked once at
 * start-up without touching Redis, so that a BullMQ whose internals moved makes the API fall back to admission and
 * add as two steps instead of failing every enqueue.
 */
export function canGateAdds<Data, Result>(queue: Queue<Data, Result>): boolean {
  try {
    bullAddCommand(queue, { name: 'probe', data: {} as Data, opts: { jobId: 'probe' } });
    return true;
  } catch {
    return false;
  }
}

const composed = new Map<string, LuaScript>();

/**
 * The gate and BullMQ's add script in one script: the add runs only when the gate opens. BullMQ's script is
 * called as a local function of (KEYS, ARGV), unchanged. Replies {the gate's reply, the add's answer or nil}.
 */
function gatedAddScript(gate: GateScript, add: BullScript): LuaScript {
  const name = `${gate.name}+${add.name}`;
  let script = composed.get(name);
  if (!script) {
    const driver = `
local gateKeys, gateArgs, addKeys, addArgs = {}, {}, {}, {}
for i = 1, #KEYS do if i <= ${gate.keyCount} then gateKeys[i] = KEYS[i] else addKeys[i - ${gate.keyCount}] = KEYS[i] end end
for i = 1, #ARGV do if i <= ${gate.argCount} then gateArgs[i] = ARGV[i] else addArgs[i - ${gate.argCount}] = ARGV[i] end end
local reply, opened = gate(gateKeys, gateArgs)
if not opened then return {reply, false} end
return {reply, bullAdd(addKeys, addArgs)}
`;
    script = defineLuaScript(name, `${gate.source}\nlocal function bullAdd(KEYS, ARGV)\n${add.content}\nend\n${driver}`, 'variable');
    composed.set(name, script);
  }
  return script;
}

/**
 * Adds a job behind a gate in one script (one round trip, atomic): the gate decides (admission) and, only when it
 * lets the job in, BullMQ's own add script runs (standard or prioritized, with the job's options and the queue's
 * defaults, exactly as `queue.add` would). Not for Redis Cluster: the gate's keys and the queue's live in
 * different slots there.
 */
export async function addJobBehindGate<Data, Result>(
  redis: RedisClient,
  queue: Queue<Data, Result>,
  job: { name: string; data: Data; opts: JobsOptions & { jobId: string } },
  gate: { script: GateScript; keys: readonly string[]; args: readonly (string | number)[] },
): Promise<GatedAddResult> {
  if (gate.keys.length !== gate.script.keyCount || gate.args.length !== gate.script.argCount)
    throw new Error(`${gate.script.name} takes ${gate.script.keyCount} keys and ${gate.script.argCount} args`);
  const add = bullAddCommand(queue, job);
  const reply = await runLuaScript(redis, gatedAddScript(gate.script, add.script), [...gate.keys, ...add.keys], [...gate.args, ...add.args]);
  const [gateReply, added] = Array.isArray(reply) ? (reply as [unknown, unknown]) : [];
  if (!Array.isArray(gateReply)) throw new Error(`${gate.script.name} returned ${typeof reply}`);
  return { gateReply, added: typeof added === 'string' || typeof added === 'number' ? added : undefined };
}
