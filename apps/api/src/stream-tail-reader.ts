import type { Logger } from '@gateway/observability';
import { compareEntryIds, readStreamTails, wakeStreamTails, type KeptMessage, type QueuePrefix, type RedisClient } from '@gateway/queue';

/** One attached client's side of the shared read. */
export interface StreamTail {
  /** New messages of its job's stream, in order, each once (only those after the entry id it was attached at). */
  onMessages(kept: readonly KeptMessage[]): void;
  /** The read failed: the client is detached and must end its stream with an error event. */
  onError(error: unknown): void;
}

export interface StreamTailReaderOptions {
  /** Opens the one blocking connection the reader uses (at the first attach). */
  connect: () => RedisClient;
  /** A `command` connection: wakes the read when a stream joins. */
  redis: RedisClient;
  prefix: QueuePrefix;
  instanceId: string;
  logger: Logger;
  /** How long one XREAD waits; also the longest a stream whose wake was lost waits to be read. */
  blockMs?: number;
  /** Most entries of one stream taken per read. */
  countPerStream?: number;
}

const WAKE_TTL_MS = 60_000;

/**
 * Reads the live rest of every kept stream this API instance's clients are attached to, with ONE blocking connection:
 * a single XREAD BLOCK over all their keys plus the instance's wake stream. A client attaching while the XREAD waits
 * writes to the wake stream, which ends it; the next XREAD then covers the new stream (a wake sent before the XREAD
 * reached Redis still ends it, since the wake stream is read from the last entry seen, not from `$`).
 *
 * Each client has its own cursor: the XREAD reads a stream from the earliest cursor of its clients, and each gets only
 * the entries after its own, so resumed clients see nothing twice and nothing out of order. Delivery is synchronous and
 * never waits for a client: a client's backlog is its SSE writer's buffer, bounded by STREAM_MAX_BUFFER_BYTES, past
 * which its relay ends it with an error event and detaches it; the read goes on for the others.
 */
export function createStreamTailReader(options: StreamTailReaderOptions) {
  const blockMs = options.blockMs ?? 5000;
  const countPerStream = options.countPerStream ?? 500;
  const tails = new Map<string, Map<StreamTail, { cursor: string }>>();
  let blocking: RedisClient | undefined;
  let reading = false;
  /** A wake was sent since the running read took its set of streams. */
  let woken = false;
  let wakeCursor = '0-0';
  let closed = false;

  const connection = (): RedisClient => {
    if (!blocking) {
      blocking = options.connect();
      blocking.on('error', (error: Error) => options.logger.debug({ err: error }, 'stream tail connection error'));
    }
    return blocking;
  };

  const detach = (jobId: string, tail: StreamTail) => {
    const clients = tails.get(jobId);
    if (!clients?.delete(tail)) return false;
    if (clients.size === 0) tails.delete(jobId);
    return true;
  };

  const deliver = (jobId: string, kept: readonly KeptMessage[]) => {
    for (const [tail, state] of [...(tails.get(jobId) ?? [])]) {
      const fresh = kept.filter((entry) => compareEntryIds(entry.entryId, state.cursor) > 0);
      if (fresh.length === 0) continue;
      state.cursor = fresh.at(-1)!.entryId;
      try {
        tail.onMessages(fresh);
      } catch (error) {
        if (detach(jobId, tail)) tail.onError(error);
      }
    }
  };

  const failAll = (error: unknown) => {
    const failed = [...tails].flatMap(([, clients]) => [...clients.keys()]);
    tails.clear();
    for (const tail of failed) tail.onError(error);
  };

  /** The earliest cursor of each attached stream's clients. */
  const cursors = () =>
    new Map(
      [...tails].map(([jobId, clients]) => [
        jobId,
        [...clients.values()].map((state) => state.cursor).reduce((earliest, cursor) => (compareEntryIds(cursor, earliest) < 0 ? cursor : earliest)),
      ]),
    );

  const read = async () => {
    reading = true;
    try {
      while (!closed && tails.size > 0) {
        const from = cursors();
        woken = false;
        try {
          const round = await readStreamTails(connection(), options.prefix, from, { instanceId: options.instanceId, wakeCursor, blockMs, countPerStream });
          wakeCursor = round.wakeCursor;
          for (const [jobId, kept] of round.messages) deliver(jobId, kept);
        } catch (error) {
          if (closed) return;
          options.logger.warn({ err: error, streams: from.size }, 'could not read the attached streams');
          failAll(error);
        }
      }
    } finally {
      reading = false;
    }
  };

  const wake = () => {
    if (woken) return;
    woken = true;
    // A lost wake costs the new client at most one blockMs: the next read covers its stream anyway.
    wakeStreamTails(options.redis, options.prefix, options.instanceId, WAKE_TTL_MS).catch((error: unknown) =>
      options.logger.warn({ err: error }, 'could not wake the stream tail read'),
    );
  };

  return {
    /**
     * Attaches a client to jobId's kept stream after `afterEntryId` ('0-0': from the start); returns its detach
     * (idempotent). Call it once the client has what came up to that entry (XRANGE): nothing after it is missed.
     */
    attach(jobId: string, afterEntryId: string, tail: StreamTail): () => void {
      if (closed) throw new Error('stream tail reader is closed');
      const clients = tails.get(jobId) ?? new Map<StreamTail, { cursor: string }>();
      // The running read covers this stream only from its clients' earliest cursor, if at all.
      const covered = clients.size > 0 && [...clients.values()].every((state) => compareEntryIds(state.cursor, afterEntryId) <= 0);
      clients.set(tail, { cursor: afterEntryId });
      tails.set(jobId, clients);
      if (!reading) void read();
      else if (!covered) wake();
      return () => void detach(jobId, tail);
    },
    /** Clients attached now. */
    size: () => [...tails.values()].reduce((sum, clients) => sum + clients.size, 0),
    /** Stops reading (shutdown): drops the connection; clients still attached end with their sockets. */
    close(): void {
      closed = true;
      tails.clear();
      blocking?.disconnect();
    },
  };
}

export type StreamTailReader = ReturnType<typeof createStreamTailReader>;
