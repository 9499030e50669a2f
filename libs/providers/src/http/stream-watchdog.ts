import { upstreamFailure, type ProviderId } from '@gateway/contracts';

/** A streamed answer body: iterate it once; destroy it to drop the connection early. */
export interface UpstreamBody extends AsyncIterable<Buffer | Uint8Array> {
  destroy(error?: Error): void;
}

export interface StreamWatchOptions {
  provider: ProviderId;
  /** Longest silence allowed between two chunks (the first one counts from the headers). */
  idleMs: number;
  /** Largest number of bytes one stream may carry. */
  maxBytes: number;
  /** Aborted when the stream falls silent for idleMs (the request's signal includes it). */
  idle: AbortController;
  /** Called once when the stream is over (ended, failed or destroyed). */
  onEnd?: () => void;
}

/**
 * Guards a streamed body: a silence longer than idleMs aborts the call (a healthy stream may last far longer than
 * one provider timeout, as long as it keeps talking), and a stream past maxBytes fails, so a hostile upstream can
 * neither hold a job forever nor grow a worker's memory without bound. The clock stops while the consumer works
 * on a chunk, so a slow consumer is never taken for a silent upstream.
 */
export function watchStream(body: UpstreamBody, options: StreamWatchOptions): UpstreamBody {
  /** A chunk is with the consumer: the silence it spends there does not count. */
  let busy = false;
  // One timer for the stream's life, restarted after each chunk (refresh: no new timer per chunk).
  const timer = setTimeout(() => {
    if (!busy) options.idle.abort(new Error(`no stream data for ${options.idleMs} ms`));
  }, options.idleMs);
  let ended = false;
  const stop = () => clearTimeout(timer);
  const end = () => {
    stop();
    if (ended) return;
    ended = true;
    options.onEnd?.();
  };
  // A plain iterator over the body's (no generator of its own: one promise per chunk, not a chain of them).
  return {
    [Symbol.asyncIterator](): AsyncIterator<Buffer | Uint8Array> {
      const chunks = body[Symbol.asyncIterator]();
      let size = 0;
      const take = (next: IteratorResult<Buffer | Uint8Array>): IteratorResult<Buffer | Uint8Array> => {
        if (next.done) {
          end();
          return next;
        }
        busy = true;
        size += next.value.length;
        if (size > options.maxBytes) {
          end();
          body.destroy();
          throw upstreamFailure(options.provider, `stream larger than ${options.maxBytes} bytes`);
        }
        return next;
      };
      const fail = (error: unknown): never => {
        end();
        throw error;
      };
      return {
        next() {
          if (busy) {
            busy = false;
            if (!ended) timer.refresh();
          }
          return chunks.next().then(take, fail);
        },
        async return() {
          end();
          await chunks.return?.();
          return { done: true, value: undefined };
        },
      };
    },
    destroy(error?: Error) {
      end();
      body.destroy(error);
    },
  };
}
