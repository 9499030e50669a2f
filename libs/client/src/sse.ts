import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One server-sent event: its data, and its `id:` and `event:` fields when the server sent them. */
export interface StreamEvent {
  data: string;
  id: string | undefined;
  event: string | undefined;
}

/** Reads a server-sent event stream with eventsource-parser (WHATWG rules; comments skipped); cancels the body when left. */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const ready: StreamEvent[] = [];
  const parser = createParser({ onEvent: (message: EventSourceMessage) => ready.push({ data: message.data, id: message.id, event: message.event }) });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      // The end flushes a last event whose blank line never came.
      parser.feed(done ? `${decoder.decode()}\n\n` : decoder.decode(value, { stream: true }));
      for (const event of ready) yield event;
      ready.length = 0;
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Yields the `data:` payloads of a server-sent event stream. */
export async function* readEventData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  for await (const event of readEvents(body)) yield event.data;
}
