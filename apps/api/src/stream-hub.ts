import type { ReplyMessage } from '@gateway/contracts';
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
  return {
    register(jobId: string, listener: StreamListener): void {
      listeners.set(jobId, listener);
    },
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
    /** After a resubscribe: tells every stream how its job stands. */
    async sweep(): Promise<void> {
      await Promise.all(
        [...listeners.entries()].map(async ([jobId, listener]) => {
          const outcome = await options.lookup(jobId).catch((): JobOutcome => ({ state: 'pending' }));
          if (listeners.get(jobId) === listener) listener.onResubscribed(outcome);
        }),
      );
    },
    size: () => listeners.size,
  };
}

export type StreamHub = ReturnType<typeof createStreamHub>;
