import type { ProviderId, ReplyMessage } from '@gateway/contracts';

/** Options of a job's chunk publisher. */
export interface ChunkPublisherOptions {
  jobId: string;
  provider: ProviderId;
  model: string;
  /** Sends one message on the reply channel (one PUBLISH). */
  publish: (message: ReplyMessage) => Promise<void>;
}

/**
 * Publishes a stream's text with few PUBLISH commands: at most one in flight; text that arrives meanwhile (or
 * within the same turn of the event loop) goes out as one message when it returns. The first token is sent the
 * moment it arrives, a lone token waits no timer, a burst (2,000 chunks in one TCP read) becomes a handful of
 * messages. Messages carry seq 0, 1, 2, … in order.
 */
export function createChunkPublisher(options: ChunkPublisherOptions) {
  let pending = '';
  let seq = 0;
  let inFlight: Promise<void> | undefined;
  let scheduled = false;
  let failure: unknown;

  const flush = () => {
    scheduled = false;
    if (inFlight || pending === '') return;
    const text = pending;
    pending = '';
    const message: ReplyMessage = { kind: 'chunk', job_id: options.jobId, seq, text, model: options.model, provider: options.provider };
    seq += 1;
    inFlight = options
      .publish(message)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        inFlight = undefined;
        if (pending !== '') schedule();
      });
  };
  const schedule = () => {
    if (scheduled || inFlight) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    push(text: string): void {
      if (text === '') return;
      pending += text;
      // The first token goes out at once (time to first token); later ones coalesce behind whatever is in flight.
      if (seq === 0 && !inFlight) flush();
      else schedule();
    },
    /** Sends what is left; resolves with the number of chunk messages sent, or throws the first publish failure. */
    async finish(): Promise<number> {
      for (;;) {
        if (inFlight) await inFlight;
        else if (pending !== '') flush();
        else break;
      }
      if (failure !== undefined) throw failure;
      return seq;
    },
    /** Chunk messages sent so far. */
    sent: () => seq,
  };
}

export type ChunkPublisher = ReturnType<typeof createChunkPublisher>;
