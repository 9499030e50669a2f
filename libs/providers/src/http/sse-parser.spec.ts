import { createLineFeed, createServerSentEventFeed, type ServerSentEvent, type TextFeed } from './sse-parser';

/** Feeds the bytes cut at the given offsets (decoded as a stream, as the reader does) and collects the items. */
function collect<T>(createFeed: (onItem: (item: T) => void) => TextFeed, buffer: Buffer, cuts: readonly number[]): T[] {
  const items: T[] = [];
  const feed = createFeed((item) => items.push(item));
  const decoder = new TextDecoder();
  let start = 0;
  for (const cut of [...cuts, buffer.length]) {
    feed.feed(decoder.decode(buffer.subarray(start, cut), { stream: true }));
    start = cut;
  }
  feed.feed(decoder.decode());
  feed.end();
  return items;
}

const everySize = (buffer: Buffer, size: number) => Array.from({ length: Math.ceil(buffer.length / size) - 1 }, (_, index) => (index + 1) * size);
const sse = (onEvent: (event: ServerSentEvent) => void) => createServerSentEventFeed(onEvent);
const lines = (onLine: (line: string) => void) => createLineFeed(onLine);

const stream = Buffer.from(
  ': OPENROUTER PROCESSING\n\ndata: {"a":1}\n\nevent: message_start\r\ndata: {"b":"é😀"}\r\n\r\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n',
  'utf8',
);
const events = [
  { event: undefined, data: '{"a":1}' },
  { event: 'message_start', data: '{"b":"é😀"}' },
  { event: undefined, data: 'line1\nline2' },
  { event: undefined, data: '[DONE]' },
];

describe('createServerSentEventFeed', () => {
  it.each([1, 2, 3, 7, 1000])('parses the same events whatever the chunk size (%i bytes)', (size) => {
    expect(collect(sse, stream, everySize(stream, size))).toEqual(events);
  });

  it('parses the same events cut at any one byte, inside a multi-byte character too', () => {
    for (let cut = 1; cut < stream.length; cut += 1) expect(collect(sse, stream, [cut])).toEqual(events);
  });

  it('hands over a last event without a trailing blank line', () => {
    expect(collect(sse, Buffer.from('data: tail'), [4])).toEqual([{ event: undefined, data: 'tail' }]);
  });

  it('hands over text that is not JSON as it is (the adapter refuses it)', () => {
    expect(collect(sse, Buffer.from('data: {"a":\n\ndata: \uFFFD\n\n'), [])).toEqual([
      { event: undefined, data: '{"a":' },
      { event: undefined, data: '\uFFFD' },
    ]);
  });

  it('refuses an endless data line instead of buffering it', () => {
    const endless = Buffer.from(`data: ${'x'.repeat(5000)}`);
    expect(() => collect<ServerSentEvent>((onEvent) => createServerSentEventFeed(onEvent, 1000), endless, everySize(endless, 100))).toThrow('longer than');
  });

  it('counts the line across chunks, not the chunk alone', () => {
    const long = Buffer.from(`data: ${'y'.repeat(900)}\n\ndata: ${'z'.repeat(900)}\n\n`);
    const found = collect<ServerSentEvent>((onEvent) => createServerSentEventFeed(onEvent, 1000), long, everySize(long, 400));
    expect(found.map((event) => event.data.length)).toEqual([900, 900]);
  });
});

describe('createLineFeed', () => {
  const text = Buffer.from('{"a":"é"}\n\r\n{"b":"😀"}\r{"c":3}\r\n{"d":4}', 'utf8');
  const expected = ['{"a":"é"}', '', '{"b":"😀"}', '{"c":3}', '{"d":4}'];

  it('splits on LF, CRLF and CR, cut at any one byte (inside a multi-byte character or a CRLF too)', () => {
    for (let cut = 0; cut <= text.length; cut += 1) expect(collect(lines, text, cut === 0 || cut === text.length ? [] : [cut])).toEqual(expected);
  });

  it.each([1, 2, 5])('splits the same in chunks of %i bytes', (size) => {
    expect(collect(lines, text, everySize(text, size))).toEqual(expected);
  });

  it('takes a CR at the very end as a line end, not as half of a CRLF', () => {
    expect(collect(lines, Buffer.from('a\rb\r'), [2])).toEqual(['a', 'b']);
  });

  it('refuses an endless line', () => {
    const endless = Buffer.from('x'.repeat(5000));
    expect(() => collect<string>((onLine) => createLineFeed(onLine, 1000), endless, everySize(endless, 100))).toThrow('longer than');
  });

  it('keeps a long line whole across chunks when it is within bounds', () => {
    const long = Buffer.from(`${'y'.repeat(900)}\n${'z'.repeat(900)}\n`);
    expect(collect<string>((onLine) => createLineFeed(onLine, 1000), long, everySize(long, 400)).map((line) => line.length)).toEqual([900, 900]);
  });
});
