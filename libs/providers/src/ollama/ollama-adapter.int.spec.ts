import { collectAll, type FakeOllama, gatewayFailure, type OllamaBehaviour, startFakeOllama, waitFor } from '@gateway/testing';
import type { ChatStreamPart, ProviderAdapter } from '../types';
import { createOllamaAdapter } from './ollama-adapter';

const request = {
  model: 'qwen2.5-coder:7b',
  messages: [
    { role: 'system' as const, content: 'Be brief' },
    { role: 'user' as const, content: 'Say hello' },
  ],
  temperature: 0.3,
  max_tokens: 32,
};
const signal = () => new AbortController().signal;
const text = (parts: ChatStreamPart[]) => parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');

let fake: FakeOllama;
let adapter: ProviderAdapter;
const behave = (behaviour: OllamaBehaviour) => fake.setBehaviour(() => behaviour);

beforeAll(async () => {
  fake = await startFakeOllama();
  adapter = createOllamaAdapter({ baseUrl: fake.url, timeoutMs: 1500 });
});
afterAll(async () => {
  await adapter.close();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('Ollama adapter', () => {
  it('keeps the connection of a finished stream for the next call, and drops one left before its end', async () => {
    behave({ kind: 'reply', content: 'one two three' });
    await collectAll(adapter.chatStream(request, signal()));
    const opened = fake.openedConnections();
    // Ten streams back to back: the connection of one is read to its end in the background, so at most one more opens.
    for (let index = 0; index < 10; index += 1) await collectAll(adapter.chatStream(request, signal()));
    expect(fake.openedConnections() - opened).toBeLessThanOrEqual(1);
    // A consumer that stops at the first token (a cancel) leaves an unfinished answer: that connection is closed.
    behave({ kind: 'reply', content: 'a b c d e f', chunkDelayMs: 20 });
    const closed = fake.closedConnections();
    for await (const part of adapter.chatStream(request, signal())) if (part.type === 'text-delta') break;
    await waitFor(() => fake.closedConnections() > closed, 2000, 10);
    expect(fake.closedConnections()).toBe(closed + 1);
  });

  it('sends /api/chat with options and reads usage from prompt_eval_count/eval_count, cost 0', async () => {
    behave({ kind: 'reply', content: 'Hello there' });
    const answer = await adapter.chat(request, signal());
    expect(answer).toEqual({
      content: 'Hello there',
      toolCalls: [],
      model: 'qwen2.5-coder:7b',
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
      costUsd: 0,
      finishReason: 'stop',
    });
    expect(fake.requests[0]).toMatchObject({ path: '/api/chat', method: 'POST' });
    expect(fake.requests[0]!.body).toEqual({
      model: 'qwen2.5-coder:7b',
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Say hello' },
      ],
      stream: false,
      options: { temperature: 0.3, num_predict: 32 },
    });
  });

  it('streams NDJSON lines into deltas, then usage and the end', async () => {
    behave({ kind: 'reply', content: 'one two three', chunkDelayMs: 5 });
    const parts = await collectAll(adapter.chatStream(request, signal()));
    expect(text(parts)).toBe('one two three');
    expect(parts.at(-2)).toEqual({ type: 'usage', usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 }, costUsd: 0 });
    expect(parts.at(-1)).toEqual({ type: 'stream-end', model: 'qwen2.5-coder:7b', finishReason: 'stop' });
    expect(fake.requests[0]!.body).toMatchObject({ stream: true });
  });

  it('maps a model that is not pulled (404 with a bare error) to invalid_request that another provider may serve', async () => {
    behave({ kind: 'status', status: 404 });
    for (const call of [() => adapter.chat(request, signal()), () => collectAll(adapter.chatStream(request, signal()))]) {
      const error = await gatewayFailure(call());
      expect(error.type).toBe('invalid_request');
      expect(error.details).toMatchObject({ recovery: 'failover-uncounted' });
      expect(error.message).toContain('not found, try pulling it first');
    }
  });

  it.each([500, 503, 429])('maps HTTP %i to a retryable upstream_error', async (status) => {
    behave({ kind: 'status', status, error: 'server busy' });
    const error = await gatewayFailure(adapter.chat(request, signal()));
    expect(error).toMatchObject({ type: 'upstream_error', details: { recovery: 'failover', upstreamStatus: status } });
  });

  it('treats a bare {"error"} line mid-stream (status still 200) as a failure', async () => {
    behave({ kind: 'error-mid-stream', content: 'partial words', error: 'an unknown error was encountered while running the model' });
    const seen: ChatStreamPart[] = [];
    const error = await gatewayFailure(
      (async () => {
        for await (const part of adapter.chatStream(request, signal())) seen.push(part);
      })(),
    );
    expect(text(seen)).toBe('partial words');
    expect(error.type).toBe('upstream_error');
    expect(error.message).toContain('unknown error was encountered');
  });

  it('fails over on malformed JSON, a cut stream, a reset and a hang', async () => {
    behave({ kind: 'malformed' });
    expect((await gatewayFailure(adapter.chat(request, signal()))).details.recovery).toBe('failover');
    expect((await gatewayFailure(collectAll(adapter.chatStream(request, signal())))).details.recovery).toBe('failover');
    behave({ kind: 'truncated-stream', content: 'a b c' });
    expect((await gatewayFailure(collectAll(adapter.chatStream(request, signal())))).message).toMatch(/stream/);
    behave({ kind: 'reset' });
    expect((await gatewayFailure(adapter.chat(request, signal()))).details.recovery).toBe('failover');
    behave({ kind: 'hang' });
    const timeout = await gatewayFailure(adapter.chat(request, signal()));
    expect(timeout).toMatchObject({ type: 'timeout', details: { recovery: 'failover' } });
  });

  it('is a connection failure, retryable, when nothing listens', async () => {
    const nowhere = createOllamaAdapter({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 });
    const error = await gatewayFailure(nowhere.chat(request, signal()));
    await nowhere.close();
    expect(error).toMatchObject({ type: 'upstream_error', details: { recovery: 'failover' } });
    expect(error.message).toContain('connection failed');
  });
});
