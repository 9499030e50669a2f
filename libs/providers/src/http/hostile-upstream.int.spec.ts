import { GatewayError } from '@gateway/contracts';
import { startFakeOpenRouter, type FakeOpenRouter, type OpenRouterBehaviour } from '@gateway/testing';
import { createOpenRouterAdapter } from '../openrouter/openrouter-adapter';
import type { ChatStreamPart, ProviderAdapter } from '../types';
import { createHttpClient } from './http-client';

// Every hostile answer must end, within the configured timeout, in a GatewayError that says whether failing
// over is worth it; nothing may hang, crash or buffer without bound.
const timeoutMs = 800;
const key = 'sk-or-hostile-secret-123456';
const request = { model: 'thudm/glm-4-9b-chat', messages: [{ role: 'user' as const, content: 'Say hello' }] };

let fake: FakeOpenRouter;
let adapter: ProviderAdapter;

async function failure(promise: Promise<unknown>): Promise<{ error: GatewayError; ms: number }> {
  const started = Date.now();
  const outcome = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(outcome).toBeInstanceOf(GatewayError);
  return { error: outcome as GatewayError, ms: Date.now() - started };
}

async function drain(iterable: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of iterable) parts.push(part);
  return parts;
}

const chat = () => adapter.chat(request, new AbortController().signal);
const stream = () => drain(adapter.chatStream(request, new AbortController().signal));
const behave = (behaviour: OpenRouterBehaviour) => fake.setBehaviour(() => behaviour);

beforeAll(async () => {
  fake = await startFakeOpenRouter();
  const http = createHttpClient({ provider: 'openrouter', timeoutMs, maxResponseBytes: 256 * 1024, maxStreamBytes: 512 * 1024 });
  adapter = createOpenRouterAdapter({ baseUrl: fake.baseUrl, apiKey: key, timeoutMs, http });
});
afterAll(async () => {
  await adapter.close();
  await fake.close();
});

describe('hostile upstreams', () => {
  it('a hang (no byte ever) is a retryable timeout, for a call and for a stream', async () => {
    behave({ kind: 'hang' });
    for (const call of [chat, stream]) {
      const { error, ms } = await failure(call());
      expect(error.type).toBe('timeout');
      expect(error.details.recovery).toBe('failover');
      expect(ms).toBeLessThan(timeoutMs + 5000);
    }
  });

  it('a stream that falls silent after its headers and first chunk times out', async () => {
    behave({ kind: 'silent-after-headers', content: 'Hel' });
    const { error } = await failure(stream());
    expect(error.type).toBe('timeout');
    expect(error.message).toMatch(/silent/);
  });

  it('a slow drip lasting several timeouts completes, as long as no gap is longer than the timeout', async () => {
    const words = Array.from({ length: 12 }, (_, index) => `w${index}`).join(' ');
    behave({ kind: 'reply', content: words, chunkDelayMs: timeoutMs / 4 });
    const started = Date.now();
    const parts = await stream();
    expect(Date.now() - started).toBeGreaterThan(timeoutMs * 2);
    expect(
      parts
        .filter((part) => part.type === 'text-delta')
        .map((part) => (part.type === 'text-delta' ? part.text : ''))
        .join(''),
    ).toBe(words);
    expect(parts.at(-1)?.type).toBe('stream-end');
  });

  it('a consumer slower than the timeout is not taken for a silent upstream', async () => {
    behave({ kind: 'reply', content: 'one two three', chunkDelayMs: 10 });
    const parts: ChatStreamPart[] = [];
    for await (const part of adapter.chatStream(request, new AbortController().signal)) {
      parts.push(part);
      // The consumer works on its first part for twice the timeout; the upstream has more meanwhile.
      if (parts.length === 1) await new Promise((resolve) => setTimeout(resolve, timeoutMs * 2));
    }
    expect(parts.at(-1)?.type).toBe('stream-end');
  });

  it('malformed JSON, a truncated stream, a wrong content type and a reset are retryable upstream errors', async () => {
    const cases: [OpenRouterBehaviour, () => Promise<unknown>][] = [
      [{ kind: 'malformed' }, chat],
      [{ kind: 'truncated-stream', content: 'one two three' }, stream],
      [{ kind: 'wrong-content-type' }, chat],
      [{ kind: 'wrong-content-type' }, stream],
      [{ kind: 'reset' }, chat],
      [{ kind: 'reset' }, stream],
    ];
    for (const [behaviour, call] of cases) {
      behave(behaviour);
      const { error } = await failure(call());
      expect({ kind: behaviour.kind, type: error.type, recovery: error.details.recovery }).toEqual({
        kind: behaviour.kind,
        type: 'upstream_error',
        recovery: 'failover',
      });
    }
  });

  it('429 carries Retry-After when given (and none when not); 5xx are retryable', async () => {
    behave({ kind: 'status', status: 429, retryAfter: '7' });
    expect((await failure(chat())).error.details.retryAfterSeconds).toBe(7);
    behave({ kind: 'status', status: 429 });
    const without = (await failure(chat())).error;
    expect(without.details.recovery).toBe('failover');
    expect(without.details.retryAfterSeconds).toBeUndefined();
    for (const status of [500, 502, 503, 504]) {
      behave({ kind: 'status', status });
      const { error } = await failure(stream());
      expect([error.type, error.details.recovery, error.details.upstreamStatus]).toEqual(['upstream_error', 'failover', status]);
    }
  });

  it('answers past the size limits fail instead of filling memory', async () => {
    behave({ kind: 'huge', bytes: 4 * 1024 * 1024 });
    const before = process.memoryUsage().rss;
    for (const call of [chat, stream]) {
      const { error } = await failure(call());
      expect(error.type).toBe('upstream_error');
      expect(error.message).toMatch(/larger than/);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('an error body that quotes the key never carries it on', async () => {
    for (const status of [401, 400, 500]) {
      behave({ kind: 'echo-key', status });
      const { error } = await failure(chat());
      expect(error.message).toContain('[redacted]');
      expect(JSON.stringify(error.toBody())).not.toContain(key);
    }
  });
});
