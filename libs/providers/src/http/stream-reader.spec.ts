import { Readable } from 'node:stream';
import { GatewayError } from '@gateway/contracts';
import { createOpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible-adapter';
import type { ChatStreamPart } from '../types';
import type { HttpClient, UpstreamResponse } from './http-client';

/** An HTTP client whose streamed answer is `body`, cut at `cuts` (byte offsets), with the body's destroys counted. */
function answering(body: string, cuts: readonly number[] = []) {
  const bytes = Buffer.from(body, 'utf8');
  const state = { destroyed: 0 };
  const http: HttpClient = {
    async postJson(): Promise<UpstreamResponse> {
      const pieces: Buffer[] = [];
      let start = 0;
      for (const cut of [...cuts, bytes.length]) {
        pieces.push(bytes.subarray(start, cut));
        start = cut;
      }
      const body = Readable.from(pieces);
      const destroy = body.destroy.bind(body);
      // A body dropped before its end (its own destroy after the end, autoDestroy, is not counted).
      body.destroy = (error?: Error) => {
        if (!body.readableEnded) state.destroyed += 1;
        return destroy(error);
      };
      return {
        status: 200,
        headers: {},
        body,
        signal: new AbortController().signal,
        release: () => undefined,
      };
    },
    readJson: async () => undefined,
    close: async () => undefined,
  };
  return { adapter: createOpenAiCompatibleAdapter({ id: 'openrouter', baseUrl: 'http://upstream.invalid', apiKey: undefined, timeoutMs: 1000, http }), state };
}

const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

async function read(adapter: ReturnType<typeof answering>['adapter']): Promise<{ parts: ChatStreamPart[]; error?: GatewayError }> {
  const parts: ChatStreamPart[] = [];
  try {
    for await (const part of adapter.chatStream(request, new AbortController().signal)) parts.push(part);
  } catch (error) {
    return { parts, error: error as GatewayError };
  }
  return { parts };
}

const event = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const text = (content: string) => event({ model: 'm-1', choices: [{ delta: { content } }] });

describe('a streamed answer read through push parsers', () => {
  const answer =
    ': OPENROUTER PROCESSING\n\n' +
    text('Grüße ') +
    text('😀 ') +
    event({ choices: [{ delta: { tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '{"a"' } }] } }] }) +
    event({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }, finish_reason: 'tool_calls' }] }) +
    event({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, cost: 0.1 } }) +
    event('[DONE]');
  const expected: ChatStreamPart[] = [
    { type: 'text-delta', text: 'Grüße ' },
    { type: 'text-delta', text: '😀 ' },
    { type: 'tool-call-delta', delta: { index: 0, id: 'call_1', name: 'f', arguments: '{"a"' } },
    { type: 'tool-call-delta', delta: { index: 0, arguments: ':1}' } },
    { type: 'usage', usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }, costUsd: 0.1 },
    { type: 'stream-end', model: 'm-1', finishReason: 'tool_calls' },
  ];

  it('yields the same parts cut at any byte (inside multi-byte characters too), and keeps the connection', async () => {
    const length = Buffer.byteLength(answer);
    for (let cut = 0; cut <= length; cut += 1) {
      const { adapter, state } = answering(answer, cut === 0 || cut === length ? [] : [cut]);
      const { parts, error } = await read(adapter);
      expect(error).toBeUndefined();
      expect(parts).toEqual(expected);
      expect(state.destroyed).toBe(0);
    }
  });

  it('yields the same parts a byte at a time', async () => {
    const length = Buffer.byteLength(answer);
    const { adapter } = answering(
      answer,
      Array.from({ length: length - 1 }, (_, index) => index + 1),
    );
    expect((await read(adapter)).parts).toEqual(expected);
  });

  it.each([
    ['not JSON', 'stream event is not valid JSON', event('{"choices": [')],
    ['a wrong shape', 'stream event does not have the chunk shape', event({ choices: [{ delta: { content: 7 } }] })],
    ['choices that are not a list', 'stream event does not have the chunk shape', event({ choices: 'x' })],
    ['an error in the body', 'overloaded', event({ error: { message: 'overloaded', code: 503 } })],
    ['finish_reason error', 'finish_reason error', event({ choices: [{ delta: {}, finish_reason: 'error' }] })],
  ])('sends the text before %s, in the same read, then fails with its error', async (_, message, bad) => {
    // The rest comes in a later read: the failed stream's connection is dropped, not read to its end.
    const { adapter, state } = answering(text('before ') + bad + text('after') + event('[DONE]'), [Buffer.byteLength(text('before ') + bad)]);
    const { parts, error } = await read(adapter);
    expect(parts).toEqual([{ type: 'text-delta', text: 'before ' }]);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error!.type).toBe('upstream_error');
    expect(error!.message).toContain(message);
    expect(state.destroyed).toBe(1);
  });

  it('fails a stream that ends without [DONE], after its text', async () => {
    const { adapter, state } = answering(text('partial'));
    const { parts, error } = await read(adapter);
    expect(parts).toEqual([{ type: 'text-delta', text: 'partial' }]);
    expect(error!.message).toContain('stream ended without [DONE]');
    expect(state.destroyed).toBe(0);
  });

  it('ignores what comes after [DONE] in the same read', async () => {
    const { adapter } = answering(text('a') + event('[DONE]') + event('{not json'));
    const { parts, error } = await read(adapter);
    expect(error).toBeUndefined();
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'stream-end']);
  });
});
