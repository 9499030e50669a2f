import type { ReplyMessage } from '@gateway/contracts';
import { waitFor } from '@gateway/testing';
import { createChunkPublisher } from './chunk-publisher';

function publisher(delayMs: number, failAt?: number) {
  const sent: Extract<ReplyMessage, { kind: 'chunk' }>[] = [];
  const progress = { started: 0 };
  const chunks = createChunkPublisher({
    jobId: 'job-1',
    provider: 'mock',
    model: 'm',
    publish: async (message) => {
      progress.started += 1;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (failAt !== undefined && sent.length === failAt) throw new Error('redis went away');
      if (message.kind === 'chunk') sent.push(message);
    },
  });
  return { chunks, sent, progress };
}

describe('chunk publisher', () => {
  it('coalesces a burst into few messages, numbered in order, text intact', async () => {
    const { chunks, sent } = publisher(1);
    const pieces = Array.from({ length: 2000 }, (_, index) => `t${index} `);
    pieces.forEach((piece) => chunks.push(piece));
    expect(await chunks.finish()).toBe(sent.length);
    expect(sent.length).toBeLessThanOrEqual(2);
    expect(sent.map((message) => message.seq)).toEqual(sent.map((_, index) => index));
    expect(sent.map((message) => message.text).join('')).toBe(pieces.join(''));
  });

  it('sends tokens that arrive apart as separate messages, and keeps order while one is in flight', async () => {
    const { chunks, sent, progress } = publisher(5);
    for (const piece of ['a', 'b', 'c', 'd']) {
      const started = progress.started;
      chunks.push(piece);
      // The next token arrives once this one is on its way.
      await waitFor(() => progress.started > started, 2000, 1);
    }
    await chunks.finish();
    expect(sent.map((message) => message.text).join('')).toBe('abcd');
    expect(sent.map((message) => message.seq)).toEqual(sent.map((_, index) => index));
    expect(sent.length).toBeGreaterThan(1);
  });

  it('reports a failed publish from finish', async () => {
    const { chunks } = publisher(1, 0);
    chunks.push('hello');
    await expect(chunks.finish()).rejects.toThrow('redis went away');
  });

  it('sends nothing after a failed publish (a later chunk would leave a gap before it), and says so', async () => {
    const { chunks, sent, progress } = publisher(1, 1);
    chunks.push('a');
    await waitFor(() => (progress.started === 1 ? true : undefined), 1000, 1);
    chunks.push('b');
    await waitFor(() => (chunks.failure() !== undefined ? true : undefined), 1000, 1);
    chunks.push('c');
    await expect(chunks.finish()).rejects.toThrow('redis went away');
    expect(progress.started).toBe(2);
    expect(sent.map((message) => message.text)).toEqual(['a']);
  });

  it('sends nothing for empty text', async () => {
    const { chunks, sent } = publisher(1);
    chunks.push('');
    expect(await chunks.finish()).toBe(0);
    expect(sent).toEqual([]);
  });

  it('keeps text and tool-call fragments in order, joining the argument fragments of one call', async () => {
    const { chunks, sent } = publisher(1);
    chunks.push('Let me ');
    chunks.push('check.');
    chunks.pushToolCall({ index: 0, id: 'call_a', name: 'f', arguments: '' });
    chunks.pushToolCall({ index: 0, arguments: '{"a"' });
    chunks.pushToolCall({ index: 0, arguments: ':1}' });
    chunks.pushToolCall({ index: 1, id: 'call_b', name: 'g', arguments: '{}' });
    chunks.push(' Done.');
    await chunks.finish();
    // The first token went alone; text after a fragment starts a message of its own (a message's text comes first).
    expect(sent.map((message) => [message.text, message.tool_calls ?? []])).toEqual([
      ['Let me ', []],
      [
        'check.',
        [
          { index: 0, id: 'call_a', name: 'f', arguments: '{"a":1}' },
          { index: 1, id: 'call_b', name: 'g', arguments: '{}' },
        ],
      ],
      [' Done.', []],
    ]);
    expect(sent.map((message) => message.seq)).toEqual([0, 1, 2]);
  });

  it('sends a tool call that is the first token at once', async () => {
    const { chunks, sent, progress } = publisher(5);
    chunks.pushToolCall({ index: 0, id: 'call_a', name: 'f', arguments: '' });
    await waitFor(() => progress.started > 0, 2000, 1);
    chunks.pushToolCall({ index: 0, arguments: '{}' });
    await chunks.finish();
    expect(sent.map((message) => message.tool_calls)).toEqual([[{ index: 0, id: 'call_a', name: 'f', arguments: '' }], [{ index: 0, arguments: '{}' }]]);
  });
});
