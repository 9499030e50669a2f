import type { ChatStreamPart } from '../types';
import type { UpstreamResponse } from './http-client';
import type { TextFeed } from './sse-parser';
import type { UpstreamBody } from './stream-watchdog';

/** Bounds of reading the rest of an answer after its last item (what an upstream may still send before it ends). */
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

/** How one upstream's streamed answer is read: its framing, and what each item of it means. */
export interface StreamedAnswerFormat<Item> {
  /** The push parser of the framing (server-sent events, lines), handing each whole item to `onItem`. */
  split(onItem: (item: Item) => void): TextFeed;
  /** Turns one item into parts (pushed onto `parts`); returns true for the answer's last item. May throw. */
  accept(item: Item, parts: ChatStreamPart[]): boolean;
  /** Once reading stopped: pushes the closing parts, or throws when the answer never completed. */
  finish(complete: boolean, parts: ChatStreamPart[]): void;
  /** The error thrown for a failure while reading (a broken connection, a bad item). */
  failure(error: unknown, response: UpstreamResponse): Error;
}

/**
 * Reads a streamed answer in one async generator: each chunk of the body is decoded, split and turned into parts
 * synchronously (push parsers, no generator or promise per item), then its parts are yielded. Parts that came
 * before a failure in the same chunk go out before it. Once the last item is seen (`[DONE]`, `message_stop`,
 * `done: true`) the rest of the body (usually just its end) is read in the background, so the keep-alive
 * connection goes back to the pool; a stream stopped before (an error, a cancel) drops its connection.
 */
export async function* readStreamedAnswer<Item>(open: () => Promise<UpstreamResponse>, format: StreamedAnswerFormat<Item>): AsyncGenerator<ChatStreamPart> {
  const response = await open();
  const parts: ChatStreamPart[] = [];
  let complete = false;
  const feed = format.split((item) => {
    if (!complete && format.accept(item, parts)) complete = true;
  });
  const body = response.body[Symbol.asyncIterator]();
  const decoder = new TextDecoder();
  let ended = false;
  try {
    while (!complete) {
      let failure: unknown;
      try {
        const next = await body.next();
        if (next.done) {
          ended = true;
          feed.feed(decoder.decode());
          feed.end();
        } else feed.feed(decoder.decode(next.value, { stream: true }));
      } catch (error) {
        failure = format.failure(error, response);
      }
      if (parts.length > 0) {
        for (const part of parts) yield part;
        parts.length = 0;
      }
      if (failure !== undefined) throw failure;
      if (ended) break;
    }
  } finally {
    if (!ended) {
      if (complete) drainInBackground(body, response.body);
      else response.body.destroy();
    }
  }
  format.finish(complete, parts);
  for (const part of parts) yield part;
}
