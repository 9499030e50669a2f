import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One server-sent event. Comment lines (`: ...`, e.g. `: OPENROUTER PROCESSING`) are skipped. */
export interface ServerSentEvent {
  event: string | undefined;
  data: string;
}

/** Splits a byte stream into lines, whatever the chunk boundaries (CRLF, LF or CR). */
export async function* splitLines(body: AsyncIterable<Buffer | Uint8Array | string>, maxLineBytes = 4 * 1024 * 1024): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let index: number;
    while ((index = buffer.search(/\r\n|\n|\r/)) !== -1) {
      // a lone \r at the end may be half of a \r\n: wait for more
      if (buffer[index] === '\r' && index === buffer.length - 1) break;
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + (buffer.startsWith('\r\n', index) ? 2 : 1));
      yield line;
    }
    if (buffer.length > maxLineBytes) throw new Error(`stream line longer than ${maxLineBytes} bytes`);
  }
  buffer += decoder.decode();
  if (buffer.length > 0) yield buffer.replace(/\r$/, '');
}

/**
 * Parses an SSE stream with eventsource-parser (WHATWG rules: data, event and id fields, comments skipped). A line
 * longer than `maxLineBytes` (a hostile upstream that never sends a newline) ends the parse; a last event without
 * its blank line is still delivered, as lenient upstreams end that way.
 */
export async function* parseServerSentEvents(
  body: AsyncIterable<Buffer | Uint8Array | string>,
  maxLineBytes = 4 * 1024 * 1024,
): AsyncGenerator<ServerSentEvent> {
  const ready: ServerSentEvent[] = [];
  const parser = createParser({ onEvent: (message: EventSourceMessage) => ready.push({ event: message.event, data: message.data }) });
  const decoder = new TextDecoder();
  let lineLength = 0;
  const feed = function* (text: string): Generator<ServerSentEvent> {
    const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    lineLength = lastBreak === -1 ? lineLength + text.length : text.length - lastBreak - 1;
    if (lineLength > maxLineBytes) throw new Error(`stream line longer than ${maxLineBytes} bytes`);
    parser.feed(text);
    for (const event of ready) yield event;
    ready.length = 0;
  };
  for await (const chunk of body) yield* feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  yield* feed(`${decoder.decode()}\n\n`);
}
