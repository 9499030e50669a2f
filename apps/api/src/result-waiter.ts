import { GatewayError, fromJobError, type ChatJobResult, type ReplyMessage } from '@gateway/contracts';

/** The outcome of a job as found in Redis when a reply may have been missed. */
export type JobOutcome = { state: 'completed'; result: ChatJobResult } | { state: 'failed'; error: GatewayError } | { state: 'pending' } | { state: 'missing' };

interface Pending {
  resolve: (result: ChatJobResult) => void;
  reject: (error: GatewayError) => void;
  timer: NodeJS.Timeout;
}

/** Options of the waiter. */
export interface ResultWaiterOptions {
  /** Looks a job up in the queue (used after a reconnect, when replies may have been lost). */
  lookup: (jobId: string) => Promise<JobOutcome>;
  /** Called when a sync call gives up waiting (e.g. to drop the job if it has not started). */
  onTimeout?: (jobId: string) => void;
}

/**
 * Holds the sync callers of this API instance until their job's reply arrives on the instance's channel.
 * Register before enqueueing, so a reply can never arrive before its waiter.
 */
export function createResultWaiter(options: ResultWaiterOptions) {
  const pending = new Map<string, Pending>();

  const settle = (jobId: string, outcome: { result: ChatJobResult } | { error: GatewayError }) => {
    const entry = pending.get(jobId);
    if (!entry) return;
    pending.delete(jobId);
    clearTimeout(entry.timer);
    if ('result' in outcome) entry.resolve(outcome.result);
    else entry.reject(outcome.error);
  };

  return {
    /** Starts waiting for jobId; the promise rejects with a `timeout` GatewayError after timeoutMs. */
    register(jobId: string, timeoutMs: number): Promise<ChatJobResult> {
      return new Promise<ChatJobResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(jobId);
          options.onTimeout?.(jobId);
          reject(new GatewayError('timeout', `the job did not finish in ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(jobId, { resolve, reject, timer });
      });
    },
    /** Stops waiting without settling (the enqueue failed and the caller reports that instead). */
    forget(jobId: string): void {
      const entry = pending.get(jobId);
      if (!entry) return;
      clearTimeout(entry.timer);
      pending.delete(jobId);
    },
    /** Hands a reply-channel message to its waiter. */
    deliver(message: ReplyMessage): void {
      if (message.kind === 'result') settle(message.job_id, { result: message.result });
      else if (message.kind === 'error') settle(message.job_id, { error: fromJobError(message.error) });
    },
    /** After a resubscribe: asks Redis for every waiting job, settling those that finished meanwhile. */
    async sweep(): Promise<void> {
      await Promise.all(
        [...pending.keys()].map(async (jobId) => {
          const outcome = await options.lookup(jobId).catch(() => ({ state: 'pending' }) as const);
          if (outcome.state === 'completed') settle(jobId, { result: outcome.result });
          else if (outcome.state === 'failed') settle(jobId, { error: outcome.error });
          else if (outcome.state === 'missing') settle(jobId, { error: new GatewayError('unavailable', 'the job was lost from the queue') });
        }),
      );
    },
    /** Rejects every waiter (shutdown). */
    rejectAll(error: GatewayError): void {
      for (const jobId of [...pending.keys()]) settle(jobId, { error });
    },
    size: () => pending.size,
  };
}

export type ResultWaiter = ReturnType<typeof createResultWaiter>;
