import { queueKeys } from './keys';
import { parseEntries, type KeptMessage, type StreamEntries } from './job-stream';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

/** What one XREAD over several kept streams brought: new messages by job id, and where the wake stream now stands. */
export interface StreamTailsRead {
  messages: Map<string, KeptMessage[]>;
  wakeCursor: string;
}

export interface StreamTailsReadOptions {
  /** The instance whose wake stream is read beside the kept streams (see wakeStreamTails). */
  instanceId: string;
  /** The wake stream's last entry seen: a wake sent before this read began still ends it at once. */
  wakeCursor: string;
  blockMs: number;
  /** Most entries taken of each stream in one read. */
  countPerStream: number;
}

/**
 * Waits up to blockMs for messages of several jobs' kept streams, each after its own entry id (`cursors`, by job id),
 * in one XREAD BLOCK, which an entry on the instance's wake stream also ends. Needs a connection of its own (it
 * blocks). On a cluster every key lies under the prefix's hash tag (bullPrefix), so the one XREAD stays in one slot.
 */
export async function readStreamTails(
  blocking: RedisClient,
  prefix: QueuePrefix,
  cursors: ReadonlyMap<string, string>,
  options: StreamTailsReadOptions,
): Promise<StreamTailsRead> {
  const jobOfKey = new Map<string, string>();
  const ids: string[] = [];
  for (const [jobId, cursor] of cursors) {
    jobOfKey.set(queueKeys.jobStream(prefix, jobId), jobId);
    ids.push(cursor);
  }
  const wakeKey = queueKeys.streamTailsWake(prefix, options.instanceId);
  const keys = [...jobOfKey.keys(), wakeKey];
  const reply = (await blocking.xread('COUNT', options.countPerStream, 'BLOCK', options.blockMs, 'STREAMS', ...keys, ...ids, options.wakeCursor)) as Array<
    [string, StreamEntries]
  > | null;
  const read: StreamTailsRead = { messages: new Map(), wakeCursor: options.wakeCursor };
  for (const [key, entries] of reply ?? []) {
    if (key === wakeKey) {
      read.wakeCursor = entries.at(-1)?.[0] ?? read.wakeCursor;
      continue;
    }
    const jobId = jobOfKey.get(key);
    if (jobId !== undefined) read.messages.set(jobId, parseEntries(entries));
  }
  return read;
}

/** Ends the instance's running readStreamTails at once (it begins again with the streams attached since). */
export async function wakeStreamTails(redis: RedisClient, prefix: QueuePrefix, instanceId: string, ttlMs: number): Promise<void> {
  const key = queueKeys.streamTailsWake(prefix, instanceId);
  await redis.multi().xadd(key, 'MAXLEN', '1', '*', 'w', '1').pexpire(key, ttlMs).exec();
}

/** Orders two stream entry ids (`<ms>-<seq>`): negative, zero or positive. */
export function compareEntryIds(left: string, right: string): number {
  const [leftMs = 0, leftSeq = 0] = left.split('-').map(Number);
  const [rightMs = 0, rightSeq = 0] = right.split('-').map(Number);
  return leftMs - rightMs || leftSeq - rightSeq;
}
