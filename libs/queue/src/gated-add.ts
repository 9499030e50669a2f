import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { LuaScript } from './lua-script';

/** A gate's placeholder value: a plain string, where a job is a hash (the gate only ever removes this). */
const PLACEHOLDER = 'gate-closed';
/** How long a placeholder could outlive its transaction if the transaction's last step failed. */
const PLACEHOLDER_TTL_MS = 10_000;

/**
 * Lua that a gate script prepends: `openGate(key)` removes the placeholder holding the job's key, so the add that
 * follows in the transaction takes place. A job already at that key (a hash) is left alone.
 */
export const openGateLua = `local function openGate(key)
  if redis.call('TYPE', key)['ok'] == 'string' then redis.call('DEL', key) end
end
`;

/** What a gate script decided, and the add's own error when the add failed. */
export interface GatedAddResult {
  /** The gate script's reply (whether it opened is the caller's to read). */
  gateReply: unknown;
  /** Set when the gate opened but the add failed (Redis out of memory, a BullMQ refusal). */
  addError?: Error;
}

/**
 * Adds a job behind a gate script (admission: the rate limit and the budget reservation) in one MULTI, so one
 * round trip decides and enqueues, atomically. BullMQ adds no job whose id already exists, so the transaction:
 * holds the job's key with a placeholder (SET NX PX), runs the gate (whose last key is the job's key, and which
 * calls `openGate` on it when it lets the job in), runs BullMQ's own add (a no-op while the placeholder is there),
 * then removes a placeholder still left (GETDEL: a job's hash is of another type and stays). A gate that could not
 * run (NOSCRIPT after a Redis restart; retried once after loading it) or that refused therefore adds nothing.
 * Not for Redis Cluster: the gate's keys and the queue's are in different slots there.
 */
export async function addJobBehindGate<Data, Result>(
  queue: Queue<Data, Result>,
  job: { name: string; data: Data; opts: JobsOptions & { jobId: string } },
  gate: { lua: LuaScript; keys: readonly string[]; args: readonly (string | number)[] },
): Promise<GatedAddResult> {
  const jobKey = queue.toKey(job.opts.jobId);
  const client = (await queue.backend.client) as unknown as { multi(): GateTransaction; script(command: 'LOAD', source: string): Promise<unknown> };
  const bullJob = new Job<Data, Result>(queue, job.name, job.data, { ...queue.defaultJobOptions, ...job.opts }, job.opts.jobId);
  const run = async (): Promise<Array<[Error | null, unknown]>> => {
    const transaction = client.multi();
    transaction.set(jobKey, PLACEHOLDER, 'PX', PLACEHOLDER_TTL_MS, 'NX');
    transaction.evalsha(gate.lua.sha, gate.keys.length + 1, ...gate.keys, jobKey, ...gate.args.map(String));
    // Queued synchronously (before its first await), as BullMQ's own bulk add relies on.
    void queue.backend.addJobToTransaction(transaction as unknown as Parameters<typeof queue.backend.addJobToTransaction>[0], bullJob.asJSON(), job.opts.jobId).catch(() => undefined);
    transaction.getdel(jobKey);
    return (await transaction.exec()) ?? [];
  };
  let replies = await run();
  if (replies[1]?.[0]?.message.includes('NOSCRIPT')) {
    await client.script('LOAD', gate.lua.source);
    replies = await run();
  }
  const [gateError, gateReply] = replies[1] ?? [new Error('the gate transaction was discarded'), undefined];
  if (gateError) throw gateError;
  const [addError, added] = replies[2] ?? [new Error('the add was discarded'), undefined];
  const opened = replies[3]?.[1] !== PLACEHOLDER;
  if (opened && addError?.message.includes('NOSCRIPT')) {
    // Redis lost BullMQ's script while the connection stayed up (SCRIPT FLUSH): the gate let the job in, so it is
    // added on its own, which loads the script again.
    const retried = await queue.add(job.name as Parameters<typeof queue.add>[0], job.data as Parameters<typeof queue.add>[1], job.opts).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    return { gateReply, ...(retried ? { addError: retried } : {}) };
  }
  // BullMQ's add scripts answer a refusal with a negative code rather than an error.
  const refusal = typeof added === 'number' && added < 0 ? new Error(`the queue refused the job (code ${added})`) : undefined;
  const failed = opened ? (addError ?? refusal) : undefined;
  return { gateReply, ...(failed ? { addError: failed } : {}) };
}

/** The commands the gated add queues on a BullMQ-wrapped ioredis MULTI. */
interface GateTransaction {
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): unknown;
  evalsha(sha: string, numberOfKeys: number, ...keysAndArgs: string[]): unknown;
  getdel(key: string): unknown;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}
