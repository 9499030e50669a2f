import type { Readable } from 'node:stream';
import { upstreamFailure, type ProviderId } from '@gateway/contracts';

/** An answer body (undici's): read it once, by iteration or by its `data` events; destroy it to drop the connection early. */
export type UpstreamBody = Readable;

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
 * neither hold a job forever nor grow a worker's memory without bound. The body is left paused: its reader
 * resumes it, and pauses it while it works on what it was given; the clock stops while it is paused, so a slow
 * consumer is never taken for a silent upstream. It watches the body's own events (no wrapper, no promise per
 * chunk).
 */
export function watchStream(body: UpstreamBody, options: StreamWatchOptions): UpstreamBody {
  body.pause();
  // One timer for the stream's life, restarted after each chunk (refresh: no new timer per chunk).
  /** The reader began (the body was resumed once): from then on, a pause is the reader at work. */
  let reading = false;
  const timer = setTimeout(() => {
    if (!reading || !body.isPaused()) options.idle.abort(new Error(`no stream data for ${options.idleMs} ms`));
  }, options.idleMs);
  let ended = false;
  const end = () => {
    clearTimeout(timer);
    if (ended) return;
    ended = true;
    body.off('data', onData);
    body.off('resume', onResume);
    options.onEnd?.();
  };
  let size = 0;
  const onData = (chunk: Buffer | Uint8Array) => {
    size += chunk.length;
    if (size > options.maxBytes) {
      body.destroy(upstreamFailure(options.provider, `stream larger than ${options.maxBytes} bytes`));
      return;
    }
    timer.refresh();
  };
  const onResume = () => {
    reading = true;
    if (!ended) timer.refresh();
  };
  body.on('data', onData);
  body.on('resume', onResume);
  body.once('end', end);
  body.once('close', end);
  // Kept for the body's life: an error after its reader left (e.g. while its end is drained) is never unhandled.
  body.on('error', end);
  return body;
}
