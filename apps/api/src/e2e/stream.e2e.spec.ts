import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  startApi,
  startFakeAnthropic,
  startFakeCursor,
  startFakeOllama,
  startFakeOpenRouter,
  startGateway,
  startRedis,
  postSse,
  uniquePrefix,
  waitFor,
  type AppProcess,
  type FakeAnthropic,
  type FakeCursor,
  type FakeOllama,
  type FakeOpenRouter,
  type GatewayProcesses,
  type SseResult,
  type TestRedis,
} from '@gateway/testing';

const messages = [{ role: 'user', content: 'Tell me a story' }];
const prefix = uniquePrefix('stream');
// Processes start slowly on a busy machine; jest's projects mode ignores the preset's testTimeout.
jest.setTimeout(60_000);

let redis: TestRedis;
let fake: FakeOpenRouter;
let ollama: FakeOllama;
let cursor: FakeCursor;
let anthropic: FakeAnthropic;
let gateway: GatewayProcesses;
let client: Redis;
let queue: Queue;

const contentOf = (result: SseResult) =>
  result.events
    .filter((event): event is { content: string } => typeof event === 'object' && event !== null && 'content' in event)
    .map((event) => event.content)
    .join('');
const lastEvent = (result: SseResult) => result.events.at(-1) as Record<string, unknown> | undefined;

async function publishCalls(): Promise<number> {
  const info = await client.info('commandstats');
  return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

beforeAll(async () => {
  [redis, fake, ollama, anthropic, cursor] = await Promise.all([
    startRedis(),
    startFakeOpenRouter({ apiKey: 'sk-or-stream-secret' }),
    startFakeOllama(),
    startFakeAnthropic({ apiKey: 'sk-ant-stream' }),
    startFakeCursor(),
  ]);
  gateway = await startGateway(
    {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      LLM_PROVIDER: 'openrouter',
      LLM_FALLBACKS: 'anthropic,mock',
      OPENROUTER_API_KEY: 'sk-or-stream-secret',
      OPENROUTER_BASE_URL: fake.baseUrl,
      OLLAMA_BASE_URL: ollama.url,
      CURSOR_ADAPTER_URL: cursor.url,
      ANTHROPIC_API_KEY: 'sk-ant-stream',
      ANTHROPIC_BASE_URL: anthropic.url,
      PROVIDER_TIMEOUT_MS: '20000',
      // Failures are provoked on purpose here: keep the circuits closed so each test sees the provider it sets up.
      CIRCUIT_FAILURE_THRESHOLD: '100000',
    },
    { workers: 2 },
  );
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  queue = new Queue('chat', { connection: client, prefix });
});
afterAll(async () => {
  await queue?.close();
  client?.disconnect();
  await gateway?.stop();
  await Promise.all([fake?.close(), ollama?.close(), anthropic?.close(), cursor?.close()]);
  await redis?.stop();
});

describe('POST /v1/chat/stream', () => {
  it('relays an OpenRouter stream complete and in order, with usage and cost at the end', async () => {
    const content = 'Once upon a time there was a gateway that lost no token at all.';
    fake.setBehaviour(() => ({ kind: 'reply', content, cost: 0.0000321, chunkDelayMs: 5 }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { agent_id: 'agent-s', messages, max_tokens: 64 });
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(result.headers.get('cache-control')).toMatch(/no-cache/);
    expect(result.headers.get('x-accel-buffering')).toBe('no');
    expect(contentOf(result)).toBe(content);
    expect(result.events[0]).toEqual({ content: expect.any(String), model: 'thudm/glm-4-9b-chat', provider: 'openrouter' });
    expect(lastEvent(result)).toEqual({
      done: true,
      model: 'thudm/glm-4-9b-chat',
      provider: 'openrouter',
      usage: { prompt_tokens: 4, completion_tokens: 14, total_tokens: 18 },
      cost_usd: 0.0000321,
      finish_reason: 'stop',
      job_id: result.headers.get('x-job-id'),
    });
    // OpenRouter is asked to stream and to put usage (with cost) in its last chunk.
    expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true, usage: { include: true }, max_tokens: 64 });
    // The job keeps the result, as a non-streamed one does (GET /v1/jobs, billing). The done event is published
    // before BullMQ stores the job's return value, so wait for it.
    await waitFor(async () => (await queue.getJob(result.headers.get('x-job-id')!))?.returnvalue != null, 5000, 20);
    const job = await queue.getJob(result.headers.get('x-job-id')!);
    expect(job?.returnvalue).toMatchObject({ content, provider: 'openrouter', cost_usd: 0.0000321 });
  });

  it('relays a Mock stream complete and in order', async () => {
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, {
      messages: [{ role: 'user', content: 'count one two three four five' }],
      model: 'mock/echo?chunk_delay=3',
    });
    expect(result.status).toBe(200);
    expect(result.events.length).toBeGreaterThan(2);
    expect(contentOf(result)).toBe('Mock reply to: count one two three four five');
    expect(lastEvent(result)).toMatchObject({ done: true, provider: 'mock', usage: { completion_tokens: 9 } });
  });

  it('delivers a stream of 2,000 small chunks intact, with far fewer PUBLISH commands', async () => {
    const content = Array.from({ length: 2000 }, (_, index) => `t${index} `).join('');
    fake.setBehaviour(() => ({ kind: 'reply', content }));
    const before = await publishCalls();
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages });
    const publishes = (await publishCalls()) - before;
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe(content);
    expect(lastEvent(result)).toMatchObject({ done: true, usage: { completion_tokens: 2000 } });
    expect(publishes).toBeLessThan(2000);
    console.log(`2,000 upstream chunks → ${result.events.length - 1} SSE chunk events, ${publishes} PUBLISH commands`);
  });

  it('cancels the job and closes the upstream socket within 2 s when the client goes away', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: Array.from({ length: 200 }, (_, index) => `slow${index} `).join(''), chunkDelayMs: 100 }));
    const closedBefore = fake.closedConnections();
    let abortedAt = 0;
    const result = await postSse(
      `${gateway.baseUrl}/v1/chat/stream`,
      { messages },
      {
        onEvent: (_event, index) => {
          if (index < 2) return undefined;
          abortedAt = Date.now();
          return 'abort';
        },
      },
    );
    expect(result.events).toHaveLength(3);
    await waitFor(() => fake.closedConnections() > closedBefore, 5000, 20);
    const closedWithin = Date.now() - abortedAt;
    expect(Date.now() - abortedAt).toBeLessThan(2000);
    console.log(`upstream socket closed ${closedWithin} ms after the client went away`);
    const jobId = result.headers.get('x-job-id')!;
    await waitFor(async () => (await queue.getJob(jobId))?.finishedOn !== undefined, 5000, 20);
    const job = await queue.getJob(jobId);
    expect(await job?.getState()).toBe('failed');
    expect(JSON.parse(job?.failedReason ?? '{}')).toMatchObject({ cancelled: true });
    expect(job?.attemptsMade).toBeLessThanOrEqual(1);
    // The worker's log line travels its stdout pipe, which can lag the job's state under load.
    await waitFor(() => gateway.workers.some((worker) => worker.output().includes('chat job cancelled')), 5000, 20);
  });

  it('ends with an error event when the upstream breaks mid-way (no failover after the first token)', async () => {
    fake.setBehaviour(() => ({ kind: 'truncated-stream', content: 'this stream will break' }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages });
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe('this stream will break');
    expect(result.events.slice(0, -1).every((event) => (event as { provider?: string }).provider === 'openrouter')).toBe(true);
    expect(lastEvent(result)).toMatchObject({ error: { type: 'upstream_error', message: expect.stringContaining('stream') } });
  });

  it.each([
    ['an upstream 503', { kind: 'status', status: 503 } as const],
    ['a connection reset', { kind: 'reset' } as const],
    ['an error event before any token', { kind: 'error-in-body', message: 'overloaded', code: 502 } as const],
  ])('fails over before the first token on %s (to Anthropic, streamed in its SSE events)', async (_label, behaviour) => {
    fake.setBehaviour(() => behaviour);
    anthropic.setBehaviour(() => ({ kind: 'reply', content: 'Anthropic streams this answer word by word', chunkDelayMs: 2 }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages });
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe('Anthropic streams this answer word by word');
    expect(result.events.every((event) => (event as { provider?: string }).provider === 'anthropic')).toBe(true);
    expect(lastEvent(result)).toMatchObject({ done: true, provider: 'anthropic', usage: { completion_tokens: expect.any(Number) } });
  });

  it('fails over twice before the first token (OpenRouter 503, Anthropic 529) to Mock', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 503 }));
    anthropic.setBehaviour(() => ({ kind: 'status', status: 529, errorType: 'overloaded_error' }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages });
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe('Mock reply to: Tell me a story');
    expect(lastEvent(result)).toMatchObject({ done: true, provider: 'mock' });
  });

  it('ends with an error event when Anthropic sends an error event after its first tokens', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 503 }));
    anthropic.setBehaviour(() => ({ kind: 'error-event', content: 'partial answer', errorType: 'overloaded_error', message: 'Overloaded' }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages });
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe('partial answer');
    expect(lastEvent(result)).toMatchObject({ error: { type: expect.any(String) } });
  });

  it('relays an Ollama NDJSON stream complete and in order', async () => {
    ollama.setBehaviour(() => ({ kind: 'reply', content: 'Ollama says hello in many small pieces', chunkDelayMs: 2 }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages, model: 'ollama/qwen2.5-coder:7b' });
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe('Ollama says hello in many small pieces');
    expect(result.events[0]).toMatchObject({ provider: 'ollama', model: 'qwen2.5-coder:7b' });
    expect(lastEvent(result)).toMatchObject({ done: true, provider: 'ollama', usage: { completion_tokens: expect.any(Number) } });
  });

  it('relays a Cursor adapter stream complete and in order', async () => {
    cursor.setBehaviour(() => ({ kind: 'reply', content: 'Cursor agent answers in pieces', chunkDelayMs: 2 }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages, model: 'cursor/auto' });
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe('Cursor agent answers in pieces');
    expect(result.events[0]).toMatchObject({ provider: 'cursor', model: 'auto' });
    expect(lastEvent(result)).toMatchObject({ done: true, provider: 'cursor', cost_usd: 0, usage: { completion_tokens: expect.any(Number) } });
    expect((cursor.requests.at(-1)?.body as { stream?: boolean }).stream).toBe(true);
  });

  it('ends with an error event when the Cursor agent fails after it began to answer', async () => {
    cursor.setBehaviour(() => ({ kind: 'error-mid-stream', content: 'partial agent text', message: 'agent command exited 1' }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages, model: 'cursor/auto' });
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe('partial agent text');
    expect(lastEvent(result)).toMatchObject({ error: { message: expect.stringContaining('agent command exited 1') } });
  });

  it('ends with an error event when Ollama sends an error line mid-stream', async () => {
    ollama.setBehaviour(() => ({ kind: 'error-mid-stream', content: 'half of it', error: 'model crashed' }));
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages, model: 'ollama/qwen2.5-coder:7b' });
    expect(result.status).toBe(200);
    expect(contentOf(result)).toBe('half of it');
    expect(lastEvent(result)).toMatchObject({ error: { message: expect.stringContaining('model crashed') } });
  });

  it('answers failures before the first byte like /v1/chat: status and envelope', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 400, body: { error: { message: 'bad model', code: 400 } } }));
    const rejected = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages });
    expect(rejected.status).toBe(400);
    expect(rejected.body).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining('bad model'), request_id: expect.any(String) } });

    const down = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages, model: 'mock/x?fail=upstream_error' });
    expect(down.status).toBe(502);
    expect(down.body).toMatchObject({ error: { type: 'upstream_error', attempts: [{ provider: 'mock' }] } });
    expect(JSON.stringify(down.body)).not.toContain('sk-or-stream-secret');
  });

  it.each([
    ['empty messages', { messages: [] }, 'messages'],
    ['an unknown role', { messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role'],
    ['a temperature out of range', { messages, temperature: 5 }, 'temperature'],
    ['an array body', [1, 2], 'JSON object'],
  ])('answers 400 for %s', async (_label, body, field) => {
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, body);
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining(field) } });
  });

  it('counts streams and time to first token in /metrics', async () => {
    const text = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    expect(text).toMatch(/gateway_streams_total\{outcome="completed",app="api"\} [1-9]/);
    expect(text).toMatch(/gateway_streams_total\{outcome="cancelled",app="api"\} [1-9]/);
    expect(text).toMatch(/gateway_stream_time_to_first_token_seconds_count\{app="api"\} [1-9]/);
  });
});

describe('two API instances sharing the workers', () => {
  let second: { baseUrl: string; process: AppProcess };
  beforeAll(async () => {
    second = await startApi({ REDIS_URL: redis.url, QUEUE_PREFIX: prefix, LLM_PROVIDER: 'mock', STREAM_KEEPALIVE_MS: '200' });
  });
  afterAll(async () => {
    await second?.process.stop();
  });

  it('each relays exactly its own streams', async () => {
    const calls = Array.from({ length: 24 }, (_, index) => {
      const baseUrl = index % 2 === 0 ? gateway.baseUrl : second.baseUrl;
      const words = `request ${index} ${'x'.repeat(index)} end ${index}`;
      return postSse(`${baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content: words }], model: 'mock/echo?chunk_delay=4' }).then((result) => ({
        result,
        words,
      }));
    });
    for (const { result, words } of await Promise.all(calls)) {
      expect(result.status).toBe(200);
      expect(contentOf(result)).toBe(`Mock reply to: ${words}`);
      expect(lastEvent(result)).toMatchObject({ done: true, job_id: result.headers.get('x-job-id') });
    }
  });

  it('sends `: ping` while waiting for the first token', async () => {
    const result = await postSse(`${second.baseUrl}/v1/chat/stream`, { messages, model: 'mock/echo?latency=900' });
    expect(result.status).toBe(200);
    expect(result.comments.filter((comment) => comment === 'ping').length).toBeGreaterThanOrEqual(2);
    expect(contentOf(result)).toBe('Mock reply to: Tell me a story');
  });
});
