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

/** Parses an SSE stream (WHATWG rules for data/event fields; id and retry are ignored). */
export async function* parseServerSentEvents(body: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<ServerSentEvent> {
  let event: string | undefined;
  let data: string[] = [];
  for await (const line of splitLines(body)) {
    if (line === '') {
      if (data.length > 0) yield { event, data: data.join('\n') };
      event = undefined;
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  if (data.length > 0) yield { event, data: data.join('\n') };
}
