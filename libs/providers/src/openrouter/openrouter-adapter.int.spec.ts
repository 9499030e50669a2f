import { GatewayError } from '@gateway/contracts';
import { type FakeOpenRouter, type OpenRouterBehaviour, startFakeOpenRouter, waitFor } from '@gateway/testing';
import type { ChatStreamPart, ProviderAdapter } from '../types';
import { createOpenRouterAdapter } from './openrouter-adapter';

const request = {
  model: 'thudm/glm-4-9b-chat',
  messages: [
    { role: 'system' as const, content: 'Be brief' },
    { role: 'user' as const, content: 'Say hello' },
  ],
  temperature: 0.2,
  max_tokens: 64,
};

let fake: FakeOpenRouter;
let adapter: ProviderAdapter;

function behave(behaviour: OpenRouterBehaviour) {
  fake.setBehaviour(() => behaviour);
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

async function collect(iterable: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of iterable) parts.push(part);
  return parts;
}

beforeAll(async () => {
  fake = await startFakeOpenRouter({ apiKey: 'sk-or-test' });
  adapter = createOpenRouterAdapter({ baseUrl: fake.baseUrl, apiKey: 'sk-or-test', timeoutMs: 1500, referer: 'https://gateway.test', title: 'Gateway Test' });
});
afterAll(async () => {
  await adapter.close();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('OpenRouter adapter, non-streamed', () => {
  it('sends the chat completions request with its headers and reads content, usage and cost', async () => {
    behave({ kind: 'reply', content: 'Hello world', cost: 0.000123 });
    const answer = await adapter.chat(request, new AbortController().signal);
    expect(answer).toEqual({
      content: 'Hello world',
      toolCalls: [],
      model: 'thudm/glm-4-9b-chat',
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
      costUsd: 0.000123,
      finishReason: 'stop',
    });
    const sent = fake.requests[0]!;
    expect(sent.path).toBe('/api/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-or-test');
    expect(sent.headers['http-referer']).toBe('https://gateway.test');
    expect(sent.headers['x-title']).toBe('Gateway Test');
    expect(sent.body).toEqual({
      model: 'thudm/glm-4-9b-chat',
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Say hello' },
      ],
      temperature: 0.2,
      max_tokens: 64,
      usage: { include: true },
    });
  });

  it.each([
    [400, 'invalid_request', 'final'],
    [404, 'invalid_request', 'final'],
    [401, 'upstream_error', 'failover'],
    [402, 'upstream_error', 'failover'],
    [408, 'upstream_error', 'failover'],
    [429, 'upstream_error', 'failover'],
    [500, 'upstream_error', 'failover'],
    [502, 'upstream_error', 'failover'],
    [503, 'upstream_error', 'failover'],
  ])('maps HTTP %i to %s (recovery %s)', async (status, type, recovery) => {
    behave({ kind: 'status', status, body: { error: { message: `upstream says ${status}`, code: status } } });
    const error = await failure(adapter.chat(request, new AbortController().signal));
    expect(error.type).toBe(type);
    expect(error.details.recovery).toBe(recovery);
    expect(error.details.upstreamStatus).toBe(status);
    expect(error.message).toContain(`upstream says ${status}`);
  });

  it('keeps the Retry-After of a 429', async () => {
    behave({ kind: 'status', status: 429, retryAfter: '7' });
    expect((await failure(adapter.chat(request, new AbortController().signal))).details.retryAfterSeconds).toBe(7);
  });

  it('treats HTTP 200 with an error object as a failure', async () => {
    behave({ kind: 'error-in-body', message: 'Provider returned error', code: 502 });
    const error = await failure(adapter.chat(request, new AbortController().signal));
    expect(error.type).toBe('upstream_error');
    expect(error.details.recovery).toBe('failover');
    expect(error.message).toContain('Provider returned error');
  });

  it("treats an error object with a 400 code as the caller's fault", async () => {
    behave({ kind: 'error-in-body', message: 'context length exceeded', code: 400 });
    expect((await failure(adapter.chat(request, new AbortController().signal))).type).toBe('invalid_request');
  });

  it('fails over on malformed JSON, connection reset and a hang (timeout)', async () => {
    behave({ kind: 'malformed' });
    expect((await failure(adapter.chat(request, new AbortController().signal))).details.recovery).toBe('failover');
    behave({ kind: 'reset' });
    expect((await failure(adapter.chat(request, new AbortController().signal))).details.recovery).toBe('failover');
    behave({ kind: 'hang' });
    const started = Date.now();
    const timeout = await failure(adapter.chat(request, new AbortController().signal));
    expect(timeout.type).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('is refused with a wrong key without leaking the key', async () => {
    const wrong = createOpenRouterAdapter({ baseUrl: fake.baseUrl, apiKey: 'sk-or-wrong-secret', timeoutMs: 1000 });
    behave({ kind: 'reply', content: 'x' });
    const error = await failure(wrong.chat(request, new AbortController().signal));
    await wrong.close();
    expect(error.details.upstreamStatus).toBe(401);
    expect(JSON.stringify(error.toBody())).not.toContain('sk-or-wrong-secret');
  });

  it('stops when the caller aborts', async () => {
    behave({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(adapter.chat(request, controller.signal));
    expect(error.message).toContain('cancelled');
    expect(error.details.recovery).toBe('final');
  });
});

describe('OpenRouter adapter, streamed', () => {
  it('yields deltas, usage with cost and the end, skipping comment lines', async () => {
    behave({ kind: 'reply', content: 'one two three', cost: 0.5 });
    const parts = await collect(adapter.chatStream(request, new AbortController().signal));
    expect(
      parts
        .filter((part) => part.type === 'text-delta')
        .map((part) => (part as { text: string }).text)
        .join(''),
    ).toBe('one two three');
    expect(parts.find((part) => part.type === 'usage')).toEqual({
      type: 'usage',
      usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
      costUsd: 0.5,
    });
    expect(parts.at(-1)).toEqual({ type: 'stream-end', model: 'thudm/glm-4-9b-chat', finishReason: 'stop' });
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, usage: { include: true } });
  });

  it('keeps the connection of a finished stream for the next call, and drops one left before its end', async () => {
    // The end of each answer comes after its [DONE], in a later read: a consumer that stops at [DONE] must not drop it.
    behave({ kind: 'reply', content: 'one two three', endDelayMs: 5 });
    await collect(adapter.chatStream(request, new AbortController().signal));
    const opened = fake.openedConnections();
    // Ten streams, each once the previous one's end has come: all on the same connection.
    for (let index = 0; index < 10; index += 1) {
      const finished = fake.finishedResponses();
      await collect(adapter.chatStream(request, new AbortController().signal));
      await waitFor(() => fake.finishedResponses() > finished, 2000, 5);
    }
    expect(fake.openedConnections() - opened).toBeLessThanOrEqual(1);
    // A consumer that stops at the first token (a cancel) leaves an unfinished answer: that connection is closed.
    behave({ kind: 'reply', content: 'a b c d e f', chunkDelayMs: 20 });
    const closed = fake.closedConnections();
    for await (const part of adapter.chatStream(request, new AbortController().signal)) if (part.type === 'text-delta') break;
    await waitFor(() => fake.closedConnections() > closed, 2000, 10);
    expect(fake.closedConnections()).toBe(closed + 1);
  });

  it('fails on an error event mid-stream', async () => {
    behave({ kind: 'error-in-body', message: 'overloaded', code: 503 });
    const error = await failure(collect(adapter.chatStream(request, new AbortController().signal)));
    expect(error.type).toBe('upstream_error');
  });

  it('fails on a stream cut before [DONE]', async () => {
    behave({ kind: 'truncated-stream', content: 'partial answer' });
    const error = await failure(collect(adapter.chatStream(request, new AbortController().signal)));
    expect(error.type).toBe('upstream_error');
  });

  it('fails before streaming on an HTTP error', async () => {
    behave({ kind: 'status', status: 503 });
    expect((await failure(collect(adapter.chatStream(request, new AbortController().signal)))).details.upstreamStatus).toBe(503);
  });
});
