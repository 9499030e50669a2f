// Lua files are imported as text: the reference brings the *.lua module declaration along.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import type { JobsOptions, Queue } from 'bullmq';
import { bullmqAddCommand } from './bullmq-internals';
import type { LuaIncludes } from './lua-includes';
import { defineLuaFile, runLuaScript, type LuaScript } from './lua-script';
import gatedAdd from './lua/includes/gated-add.lua';
import type { RedisClient } from './redis-connection';

/**
 * A gate: a Lua file (of any number of keys) that defines `local function gate(KEYS, ARGV)`, returning its reply (a
 * table) and whether the job may enter (admission: the rate limit and the budget reservation), and ends with
 * `return addBehindGate(gate, KEYS, ARGV)` from `--- @include "includes/gated-add"`; with the includes it names.
 */
export interface GateScript {
  fileName: string;
  source: string;
  includes: LuaIncludes;
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

const composed = new Map<string, LuaScript>();

/** The gate's file with BullMQ's add script as includes/bullmq-add: one script per gate and add script, loaded once. */
function gatedAddScript(gate: GateScript, add: ReturnType<typeof bullmqAddCommand>): LuaScript {
  const name = `${gate.fileName}+${add.name}`;
  let script = composed.get(name);
  if (!script) {
    script = defineLuaFile(gate.fileName, gate.source, { ...gate.includes, 'includes/gated-add': gatedAdd, ...add.include });
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
  const add = bullmqAddCommand(queue, job);
  const reply = await runLuaScript(
    redis,
    gatedAddScript(gate.script, add),
    [...gate.keys, ...add.keys],
    [gate.keys.length, gate.args.length, ...gate.args, ...add.args],
  );
  const [gateReply, added] = Array.isArray(reply) ? (reply as [unknown, unknown]) : [];
  if (!Array.isArray(gateReply)) throw new Error(`${gate.script.fileName} returned ${typeof reply}`);
  return { gateReply, added: typeof added === 'string' || typeof added === 'number' ? added : undefined };
}
