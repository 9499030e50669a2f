import type { ReplyMessage } from '@gateway/contracts';
import { createEnqueueTracker } from './enqueue-tracker';
import type { JobOutcome } from './result-waiter';

/** A stream relayed by this API instance. */
export interface StreamListener {
  /** A chunk, stream-end or error message for the listener's job. */
  onMessage(message: ReplyMessage): void;
  /** After a resubscribe (messages may have been lost meanwhile): the job's state as stored in Redis. */
  onResubscribed(outcome: JobOutcome): void;
}

/**
 * The streams this API instance relays, by job id. Like the result waiter, a listener registers before its job is
 * enqueued, so no message of the job can arrive before it.
 */
export function createStreamHub(options: { lookup: (jobId: string) => Promise<JobOutcome> }) {
  const listeners = new Map<string, StreamListener>();
  const check = async (jobId: string, listener: StreamListener): Promise<void> => {
    const outcome = await options.lookup(jobId).catch((): JobOutcome => ({ state: 'pending' }));
    if (listeners.get(jobId) === listener) listener.onResubscribed(outcome);
  };
  const tracker = createEnqueueTracker((jobId) => {
    const listener = listeners.get(jobId);
    if (listener) void check(jobId, listener);
  });
  return {
    /**
     * Relays jobId's messages to listener, then runs enqueue (so no message of the job can arrive unheard); rejects
     * with enqueue's error, having forgotten the listener. Synchronously registered when called.
     */
    async listen(jobId: string, listener: StreamListener, enqueue: () => Promise<unknown>): Promise<void> {
      listeners.set(jobId, listener);
      tracker.enqueuing(jobId);
      try {
        await enqueue();
      } catch (error) {
        listeners.delete(jobId);
        tracker.forget(jobId);
        throw error;
      }
      tracker.enqueued(jobId);
    },
    /** Stops relaying jobId (its stream is over). */
    forget(jobId: string): void {
      listeners.delete(jobId);
    },
    /** Hands a message to its stream; false when no stream of this instance has that job. */
    deliver(message: ReplyMessage): boolean {
      const listener = listeners.get(message.job_id);
      if (!listener) return false;
      listener.onMessage(message);
      return true;
    },
    /** After a resubscribe: tells every stream how its job stands (one still being enqueued, once it is in). */
    async sweep(): Promise<void> {
      await Promise.all([...listeners.entries()].filter(([jobId]) => tracker.sweepable(jobId)).map(([jobId, listener]) => check(jobId, listener)));
    },
    size: () => listeners.size,
    /** Whether this instance relays jobId's stream. */
    has: (jobId: string) => listeners.has(jobId),
  };
}

export type StreamHub = ReturnType<typeof createStreamHub>;
