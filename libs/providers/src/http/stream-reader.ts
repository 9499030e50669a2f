import type { ChatStreamPart } from '../types';
import type { UpstreamResponse } from './http-client';
import type { TextFeed } from './sse-parser';

/** Bounds of reading the rest of an answer after its last item (what an upstream may still send before it ends). */
const DRAIN_MAX_CHUNKS = 64;
const DRAIN_MAX_MS = 2000;

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
 * Reads a streamed answer in one async generator: the body flows, each chunk is decoded, split and turned into
 * parts synchronously in its `data` event (push parsers: no promise per chunk or per item), and the body is paused
 * while the parts are yielded (the watchdog does not count that time as silence). The generator waits on one
 * promise only when it has nothing to yield. Parts that came before a failure in the same chunk go out before it.
 * Once the last item is seen (`[DONE]`, `message_stop`, `done: true`) the rest of the body (usually just its end)
 * is read in the background, within bounds, so the keep-alive connection goes back to the pool; a stream stopped
 * before (an error, a cancel) drops its connection.
 */
export async function* readStreamedAnswer<Item>(open: () => Promise<UpstreamResponse>, format: StreamedAnswerFormat<Item>): AsyncGenerator<ChatStreamPart> {
  const response = await open();
  const { body } = response;
  const parts: ChatStreamPart[] = [];
  let complete = false;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const feed = format.split((item) => {
    if (!complete && format.accept(item, parts)) complete = true;
  });
  const decoder = new TextDecoder();
  const fail = (error: unknown) => {
    failure ??= format.failure(error, response);
  };
  const onData = (chunk: Buffer | Uint8Array) => {
    // Past the last item, or after a failure (or the watchdog's refusal of this chunk), nothing more is read.
    if (complete || failure !== undefined || body.destroyed) return;
    try {
      feed.feed(decoder.decode(chunk, { stream: true }));
    } catch (error) {
      fail(error);
    }
    if (parts.length > 0 || complete || failure !== undefined) {
      body.pause();
      wake?.();
    }
  };
  const onEnd = () => {
    if (ended) return;
    ended = true;
    if (!complete && failure === undefined) {
      try {
        feed.feed(decoder.decode());
        feed.end();
      } catch (error) {
        fail(error);
      }
    }
    wake?.();
  };
  const onError = (error: unknown) => {
    if (ended) return;
    ended = true;
    fail(error);
    wake?.();
  };
  // A body closed without its end (destroyed from elsewhere, e.g. the call aborted) is a broken stream.
  const onClose = () => onError(new Error('stream closed before its end'));
  body.on('data', onData);
  body.once('end', onEnd);
  body.once('error', onError);
  body.once('close', onClose);
  const waiting = (resolve: () => void) => {
    wake = resolve;
    body.resume();
  };
  let taken = 0;
  try {
    for (;;) {
      while (taken < parts.length) yield parts[taken++]!;
      parts.length = 0;
      taken = 0;
      if (failure !== undefined) throw failure;
      if (complete || ended) break;
      await new Promise<void>(waiting);
      wake = undefined;
    }
  } finally {
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', onError);
    body.off('close', onClose);
    if (!ended) {
      if (complete && failure === undefined) drainInBackground(body);
      else body.destroy();
    }
  }
  format.finish(complete, parts);
  for (const part of parts) yield part;
}

/** Reads what is left of a body in the background, within bounds; past them (or on an error) drops the connection. */
function drainInBackground(body: UpstreamResponse['body']): void {
  let chunks = 0;
  const timer = setTimeout(() => body.destroy(), DRAIN_MAX_MS);
  timer.unref();
  const onData = () => {
    chunks += 1;
    if (chunks > DRAIN_MAX_CHUNKS) body.destroy();
  };
  const stop = () => {
    clearTimeout(timer);
    body.off('data', onData);
  };
  body.on('data', onData);
  body.once('end', stop);
  body.once('close', stop);
  body.resume();
}
