import { createParser } from 'eventsource-parser';

export interface SseResult {
  status: number;
  headers: Headers;
  /** Parsed `data:` payloads, in order (an SSE answer). */
  events: unknown[];
  /** The `id:` of each event in `events` (undefined where it had none). */
  ids: (string | undefined)[];
  /** Comment lines (`: ping`), without the colon. */
  comments: string[];
  /** The parsed JSON body when the answer was not a stream (an error envelope). */
  body: unknown;
  /** Milliseconds from sending to the first `data:` event (undefined when none came). */
  firstEventMs: number | undefined;
}

export interface PostSseOptions {
  headers?: Record<string, string>;
  /** Called on each `data:` event; return 'abort' to drop the connection there (a client going away). */
  onEvent?: (event: unknown, index: number) => void | 'abort';
}

/** POSTs JSON and reads a `text/event-stream` answer event by event (or the JSON error body). */
export async function postSse(url: string, body: unknown, options: PostSseOptions = {}): Promise<SseResult> {
  return requestSse(url, { method: 'POST', headers: { 'content-type': 'application/json', ...options.headers }, body: JSON.stringify(body) }, options.onEvent);
}

/** GETs a `text/event-stream` (e.g. GET /v1/jobs/:id/stream with a Last-Event-ID header), as postSse reads it. */
export async function getSse(url: string, options: PostSseOptions = {}): Promise<SseResult> {
  return requestSse(url, { method: 'GET', headers: { ...options.headers } }, options.onEvent);
}

async function requestSse(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  onEvent: PostSseOptions['onEvent'],
): Promise<SseResult> {
  const options = { onEvent };
  const controller = new AbortController();
  const started = performance.now();
  const response = await fetch(url, {
    ...init,
    headers: { accept: 'text/event-stream', ...init.headers },
    signal: controller.signal,
  });
  const result: SseResult = { status: response.status, headers: response.headers, events: [], ids: [], comments: [], body: undefined, firstEventMs: undefined };
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const text = await response.text();
    try {
      result.body = JSON.parse(text);
    } catch {
      result.body = text;
    }
    return result;
  }
  const decoder = new TextDecoder();
  let stop = false;
  const parser = createParser({
    onComment: (comment) => {
      result.comments.push(comment.trim());
    },
    onEvent: (message) => {
      if (stop) return;
      // OpenAI-style streams end with a non-JSON sentinel.
      const event: unknown = message.data === '[DONE]' ? message.data : JSON.parse(message.data);
      result.firstEventMs ??= performance.now() - started;
      result.events.push(event);
      result.ids.push(message.id);
      if (options.onEvent?.(event, result.events.length - 1) === 'abort') stop = true;
    },
  });
  const reader = response.body!.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      if (stop) {
        controller.abort();
        return result;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return result;
}
