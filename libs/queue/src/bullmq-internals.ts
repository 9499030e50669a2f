// The declaration of BullMQ's script sources must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./bullmq-scripts.d.ts" />
import { Job, type JobsOptions, type Queue } from 'bullmq';
import * as bullScripts from 'bullmq/dist/cjs/scripts';
import type { BullScript } from 'bullmq/dist/cjs/scripts';
import type { LuaIncludes } from './lua-includes';

// The one file that reaches into BullMQ's internals: its Lua sources (a deep import of its CommonJS build, which has
// no exports map to forbid it) and its backend's add step. bullmq-internals.spec.ts fails CI when an upgrade moves
// them, rather than letting the API fall back to the slower two-step enqueue.

/** A BullMQ script as an include: its whole source as `local function <name>(KEYS, ARGV)` (BullMQ's files are top-level scripts, not includes). */
function bullmqInclude(functionName: string, script: BullScript): string {
  return `local function ${functionName}(KEYS, ARGV)\n${script.content}\nend`;
}

/** The add step BullMQ's backend would run for a job: its script and the keys and args it would pass. */
export function bullmqAddCommand<Data, Result>(queue: Queue<Data, Result>, job: { name: string; data: Data; opts: JobsOptions & { jobId: string } }) {
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
  return {
    /** Names the add script (e.g. addStandardJob): one composed script per gate and add script. */
    name: script.name,
    /** `includes/bullmq-add`: the add script as the local function bullAdd (see includes/gated-add.lua). */
    include: { 'includes/bullmq-add': bullmqInclude('bullAdd', script) } as LuaIncludes,
    keys: command.args.slice(0, script.keys) as string[],
    args: command.args.slice(script.keys),
  };
}

/**
 * Whether this BullMQ's add step can be gated (its backend hands over a script this code knows): checked once at
 * start-up without touching Redis, so that a BullMQ whose internals moved makes the API fall back to admission and
 * add as two steps instead of failing every enqueue (and bullmq-internals.spec.ts fails CI).
 */
export function canGateAdds<Data, Result>(queue: Queue<Data, Result>): boolean {
  try {
    bullmqAddCommand(queue, { name: 'probe', data: {} as Data, opts: { jobId: 'probe' } });
    return true;
  } catch {
    return false;
  }
}
