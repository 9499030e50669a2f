import { fromJobError, GatewayError, jobLost, jobWaitTimedOut, type ChatJobResult, type ReplyMessage } from '@gateway/contracts';
import { createEnqueueTracker } from './enqueue-tracker';

/**
 * A sync call's answer: the job's result, and for an embeddings reply that carried them apart its `data` list as
 * JSON text (written out around it, never parsed: the worker wrote and checked it).
 */
export type WaitedResult = ChatJobResult & { embeddings_data?: Buffer };

/** The outcome of a job as found in Redis when a reply may have been missed. */
export type JobOutcome = { state: 'completed'; result: ChatJobResult } | { state: 'failed'; error: GatewayError } | { state: 'pending' } | { state: 'missing' };

interface Pending {
  resolve: (result: WaitedResult) => void;
  reject: (error: GatewayError) => void;
  timer: NodeJS.Timeout;
}

export interface ResultWaiterOptions {
  /** Looks a job up in the queue (used after a reconnect, when replies may have been lost). */
  lookup: (jobId: string) => Promise<JobOutcome>;
  /** Called when a sync call gives up waiting (e.g. to drop the job if it has not started). */
  onTimeout?: (jobId: string) => void;
}

/**
 * Holds the sync callers of this API instance until their job's reply arrives on the instance's channel.
 */
export function createResultWaiter(options: ResultWaiterOptions) {
  const pending = new Map<string, Pending>();

  const settle = (jobId: string, outcome: { result: WaitedResult } | { error: GatewayError }) => {
    const entry = pending.get(jobId);
    if (!entry) return;
    pending.delete(jobId);
    clearTimeout(entry.timer);
    if ('result' in outcome) entry.resolve(outcome.result);
    else entry.reject(outcome.error);
  };

  /** Settles a waiter from the job's state in Redis (a reply may have been lost while the channel was down). */
  const check = async (jobId: string): Promise<void> => {
    const outcome = await options.lookup(jobId).catch(() => ({ state: 'pending' }) as const);
    if (outcome.state === 'completed') settle(jobId, { result: outcome.result });
    else if (outcome.state === 'failed') settle(jobId, { error: outcome.error });
    else if (outcome.state === 'missing') settle(jobId, { error: jobLost() });
  };
  const tracker = createEnqueueTracker((jobId) => void check(jobId));

  /** Starts waiting for jobId; the promise rejects with a `timeout` GatewayError after timeoutMs. */
  const register = (jobId: string, timeoutMs: number): Promise<WaitedResult> =>
    new Promise<WaitedResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(jobId);
        options.onTimeout?.(jobId);
        reject(jobWaitTimedOut(timeoutMs));
      }, timeoutMs);
      pending.set(jobId, { resolve, reject, timer });
      tracker.enqueuing(jobId);
    });

  /** Stops waiting without settling (the enqueue failed and the caller reports that instead). */
  const forget = (jobId: string): void => {
    const entry = pending.get(jobId);
    if (!entry) return;
    clearTimeout(entry.timer);
    pending.delete(jobId);
    tracker.forget(jobId);
  };

  return {
    /**
     * Waits for jobId's reply, runs enqueue, and resolves with the job's result; rejects with enqueue's error, or with
     * a `timeout` GatewayError after timeoutMs. Waiting starts first, so the reply cannot arrive before anyone listens.
     */
    async enqueueAndWait(jobId: string, timeoutMs: number, enqueue: () => Promise<unknown>): Promise<WaitedResult> {
      const result = register(jobId, timeoutMs);
      result.catch(() => undefined);
      try {
        await enqueue();
      } catch (error) {
        forget(jobId);
        throw error;
      }
      // Settled meanwhile (its reply came first, or it timed out): nothing left to look up.
      if (pending.has(jobId)) tracker.enqueued(jobId);
      else tracker.forget(jobId);
      return result;
    },
    /** Hands a reply-channel message to its waiter (with an embeddings result's `data` text when the reply carried it apart). */
    deliver(message: ReplyMessage, embeddingsData?: Buffer): void {
      if (message.kind === 'result')
        settle(message.job_id, { result: embeddingsData ? { ...message.result, embeddings_data: embeddingsData } : message.result });
      else if (message.kind === 'error') settle(message.job_id, { error: fromJobError(message.error) });
    },
    /** After a resubscribe: asks Redis for every waiting job, settling those that finished meanwhile (one still being enqueued is asked once it is in). */
    async sweep(): Promise<void> {
      await Promise.all([...pending.keys()].filter((jobId) => tracker.sweepable(jobId)).map(check));
    },
    /** Rejects every waiter (shutdown). */
    rejectAll(error: GatewayError): void {
      for (const jobId of [...pending.keys()]) settle(jobId, { error });
    },
    size: () => pending.size,
    /** Whether a caller of this instance waits for jobId. */
    has: (jobId: string) => pending.has(jobId),
  };
}

export type ResultWaiter = ReturnType<typeof createResultWaiter>;
