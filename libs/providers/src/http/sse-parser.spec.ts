import { parseServerSentEvents, splitLines } from './sse-parser';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function* bytes(text: string, size: number) {
  const buffer = Buffer.from(text, 'utf8');
  for (let index = 0; index < buffer.length; index += size) yield buffer.subarray(index, index + size);
}

const stream = ': OPENROUTER PROCESSING\n\ndata: {"a":1}\n\nevent: message_start\r\ndata: {"b":"é😀"}\r\n\r\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';

describe('parseServerSentEvents', () => {
  it.each([1, 2, 3, 7, 1000])('parses the same events whatever the chunk size (%i bytes)', async (size) => {
    const events = await collect(parseServerSentEvents(bytes(stream, size)));
    expect(events).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: 'message_start', data: '{"b":"é😀"}' },
      { event: undefined, data: 'line1\nline2' },
      { event: undefined, data: '[DONE]' },
    ]);
  });

  it('yields a last event without a trailing blank line', async () => {
    expect(await collect(parseServerSentEvents(bytes('data: tail', 4)))).toEqual([{ event: undefined, data: 'tail' }]);
  });

  it('refuses an endless line', async () => {
    await expect(collect(splitLines(bytes('x'.repeat(5000), 100), 1000))).rejects.toThrow('longer than');
  });
});

describe('parseServerSentEvents against a hostile stream', () => {
  it('refuses an endless data line instead of buffering it', async () => {
    await expect(collect(parseServerSentEvents(bytes(`data: ${'x'.repeat(5000)}`, 100), 1000))).rejects.toThrow('longer than');
  });

  it('counts the line across chunks, not the chunk alone', async () => {
    const events = await collect(parseServerSentEvents(bytes(`data: ${'y'.repeat(900)}\n\ndata: ${'z'.repeat(900)}\n\n`, 400), 1000));
    expect(events.map((event) => event.data.length)).toEqual([900, 900]);
  });
});
