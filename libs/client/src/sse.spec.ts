import { readEventData, readEvents } from './sse';

function body(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + size));
      offset += size;
    },
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const stream = ': ping\n\nid: 1\ndata: {"content":"é😀"}\n\nid: 2\r\nevent: error\r\ndata: {"error":{}}\r\n\r\ndata: a\ndata: b\n\ndata: [DONE]';

describe('readEvents', () => {
  it.each([1, 3, 5, 1000])('reads the same events, ids included, whatever the chunk size (%i bytes)', async (size) => {
    expect(await collect(readEvents(body(stream, size)))).toEqual([
      { data: '{"content":"é😀"}', id: '1', event: undefined },
      { data: '{"error":{}}', id: '2', event: 'error' },
      { data: 'a\nb', id: undefined, event: undefined },
      { data: '[DONE]', id: undefined, event: undefined },
    ]);
  });

  it('readEventData yields the payloads only', async () => {
    expect(await collect(readEventData(body(stream, 7)))).toEqual(['{"content":"é😀"}', '{"error":{}}', 'a\nb', '[DONE]']);
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new TextEncoder().encode('data: x\n\n')),
      cancel: () => {
        cancelled = true;
      },
    });
    for await (const _ of readEvents(source)) break;
    expect(cancelled).toBe(true);
  });
});
