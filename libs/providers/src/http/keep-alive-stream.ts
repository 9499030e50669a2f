import type { UpstreamBody } from './stream-watchdog';

/** Bounds of reading the rest of an answer after its last event (what an upstream may still send before it ends). */
const DRAIN_MAX_ITEMS = 64;
const DRAIN_MAX_MS = 2000;

/** Reads what is left of `rest` in the background, within bounds; past them (or on an error) drops the connection. */
function drainInBackground(rest: AsyncIterator<unknown>, body: UpstreamBody): void {
  const timer = setTimeout(() => body.destroy(), DRAIN_MAX_MS);
  timer.unref();
  void (async () => {
    try {
      for (let read = 0; read < DRAIN_MAX_ITEMS; read += 1) {
        if ((await rest.next()).done) return;
      }
      body.destroy();
    } catch {
      body.destroy();
    } finally {
      clearTimeout(timer);
    }
  })();
}

/**
 * Iterates the items parsed from a streamed answer. A consumer that stops once the answer is complete
 * (`complete()`: `[DONE]`, `message_stop`, `done: true` seen) does not cost the connection: the rest of the body
 * (usually just its end) is read in the background, so the keep-alive connection goes back to the pool and the next
 * stream skips a TCP handshake. A consumer that stops before (an error, a cancel) drops the connection.
 */
export async function* reusingConnection<T>(items: AsyncIterable<T>, body: UpstreamBody, complete: () => boolean): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!ended) {
      if (complete()) drainInBackground(iterator, body);
      else body.destroy();
    }
  }
}
