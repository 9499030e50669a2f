import { startFakeServer, startGateway, startRedis, uniquePrefix, waitFor, type FakeServer, type GatewayProcesses, type TestRedis } from '@gateway/testing';
import {
  BudgetExceededError,
  GatewayClientError,
  GatewayLLMClient,
  GatewayTimeoutError,
  InternalError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnavailableError,
  UpstreamError,
} from './index';

const messages = [{ role: 'user' as const, content: 'Hello client' }];

let redis: TestRedis;
let gateway: GatewayProcesses;
let client: GatewayLLMClient;

beforeAll(async () => {
  redis = await startRedis({ spawn: true });
  gateway = await startGateway({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('client'),
    LLM_PROVIDER: 'mock',
    LLM_DEFAULT_MODEL: 'mock/echo',
    CHAT_TIMEOUT_MS: '3000',
    // These suites make the mock fail on purpose: keep its circuit closed.
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    GATEWAY_BODY_LIMIT_BYTES: '4096',
  });
  client = new GatewayLLMClient({ baseUrl: `${gateway.baseUrl}/` });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await redis?.stop();
}, 60_000);

async function caught(promise: Promise<unknown>): Promise<GatewayClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('GatewayLLMClient against a running gateway', () => {
  it('health()', async () => {
    await expect(client.health()).resolves.toEqual({ status: 'ok' });
  });

  it('chat()', async () => {
    const answer = await client.chat('agent-c', messages, { temperature: 0.1, maxTokens: 50, priority: 3 });
    expect(answer).toMatchObject({
      content: 'Mock reply to: Hello client',
      provider: 'mock',
      model: 'echo',
      usage: { prompt_tokens: 2 },
      job_id: expect.any(String),
    });
  });

  it('chat() past CHAT_TIMEOUT_MS: GatewayTimeoutError names the job, whose result can be waited for', async () => {
    const error = await caught(client.chat('agent-c', messages, { model: 'mock/x?latency=3800' }));
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    const jobId = (error as GatewayTimeoutError).jobId;
    expect(jobId).toEqual(expect.any(String));
    const done = await client.waitForJob(jobId!, { pollIntervalMs: 50, timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: 'completed', result: { content: 'Mock reply to: Hello client' } });
  });

  it('submitJob(), getJob(), waitForJob()', async () => {
    const accepted = await client.submitJob('agent-c', messages, { model: 'mock/x?latency=300' });
    expect(accepted).toEqual({ job_id: expect.any(String), status: 'queued' });
    expect(['queued', 'active']).toContain((await client.getJob(accepted.job_id)).status);
    const done = await client.waitForJob(accepted.job_id, { pollIntervalMs: 50, timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'completed', result: { content: 'Mock reply to: Hello client' } });
  });

  it('waitForJob() gives up after its timeout with GatewayTimeoutError', async () => {
    const accepted = await client.submitJob('agent-c', messages, { model: 'mock/x?latency=5000' });
    const error = await caught(client.waitForJob(accepted.job_id, { pollIntervalMs: 50, timeoutMs: 200 }));
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    await client.cancelJob(accepted.job_id);
  });

  it('cancelJob() aborts a running job', async () => {
    const accepted = await client.submitJob('agent-c', messages, { model: 'mock/x?latency=20000' });
    await waitFor(async () => (await client.getJob(accepted.job_id)).status === 'active', 20_000);
    expect((await client.cancelJob(accepted.job_id)).status).toBe('cancelled');
    expect(await client.waitForJob(accepted.job_id, { pollIntervalMs: 50, timeoutMs: 20_000 })).toEqual({ job_id: accepted.job_id, status: 'cancelled' });
  });

  it('submitBatch() and getBatch()', async () => {
    const accepted = await client.submitBatch([
      { messages, customId: 'first' },
      { agentId: 'agent-b', messages: [{ role: 'user', content: 'second' }], model: 'mock/x?fail=upstream_error' },
    ]);
    expect(accepted.total).toBe(2);
    let view = await client.getBatch(accepted.batch_id);
    const deadline = Date.now() + 30_000;
    while (!view.done && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      view = await client.getBatch(accepted.batch_id);
    }
    expect(view.counts).toEqual({ queued: 0, active: 0, completed: 1, failed: 1, cancelled: 0, expired: 0 });
    const withResults = await client.getBatch(accepted.batch_id, { results: true });
    expect(withResults.results).toEqual([
      expect.objectContaining({ custom_id: 'first', status: 'completed', result: expect.objectContaining({ content: 'Mock reply to: Hello client' }) }),
      expect.objectContaining({ status: 'failed', error: expect.objectContaining({ type: 'upstream_error' }) }),
    ]);
    const listed = await client.listBatches({ limit: 5 });
    expect(listed.data.map((batch) => batch.batch_id)).toContain(accepted.batch_id);
    // A finished batch: cancelling leaves it as it is.
    const cancelled = await client.cancelBatch(accepted.batch_id);
    expect(cancelled).toMatchObject({ batch_id: accepted.batch_id, status: 'completed', counts: { completed: 1, failed: 1 } });
  });

  it('submitBatch() with maxCostUsd: the view shows the cap and the spend (free mock calls: all run)', async () => {
    const accepted = await client.submitBatch([{ messages }, { messages }], { maxCostUsd: 0.5 });
    const deadline = Date.now() + 30_000;
    let view = await client.getBatch(accepted.batch_id);
    while (!view.done && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      view = await client.getBatch(accepted.batch_id);
    }
    expect(view).toMatchObject({ counts: { completed: 2 }, budget_exceeded: 0, max_cost_usd: 0.5, spent_usd: 0 });
  });

  it.each([
    ['invalid_request', () => client.chat('a', []), InvalidRequestError, 400],
    ['not_found', () => client.getJob('no-such-job'), NotFoundError, 404],
    ['not_found (batch)', () => client.getBatch('no-such-batch'), NotFoundError, 404],
    ['payload_too_large', () => client.chat('a', [{ role: 'user', content: 'x'.repeat(10_000) }]), PayloadTooLargeError, 413],
    ['upstream_error', () => client.chat('a', messages, { model: 'mock/x?fail=upstream_error' }), UpstreamError, 502],
    ['timeout (the gateway gave up)', () => client.chat('a', messages, { model: 'mock/x?latency=4000' }), GatewayTimeoutError, 504],
    ['timeout (the client gave up)', () => client.chat('a', messages, { model: 'mock/x?latency=1500', timeoutMs: 200 }), GatewayTimeoutError, 0],
  ] as const)('raises %s as its class', async (type, call, errorClass, status) => {
    const error = await caught(call());
    expect(error).toBeInstanceOf(errorClass);
    expect(error.status).toBe(status);
    expect(error.type).toBe(type.split(' ')[0]);
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('carries the request id of the failed call', async () => {
    const error = await caught(client.chat('a', messages, { model: 'mock/x?fail=upstream_error' }));
    expect(error.requestId).toEqual(expect.any(String));
  });

  it('honours an AbortSignal', async () => {
    const controller = new AbortController();
    const call = client.chat('a', messages, { model: 'mock/x?latency=1500', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 100);
    await expect(call).rejects.toThrow('caller gave up');
  });

  it('raises UnavailableError (status 0) when nothing listens', async () => {
    const nobody = new GatewayLLMClient({ baseUrl: 'http://127.0.0.1:1' });
    const error = await caught(nobody.health());
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.status).toBe(0);
  });

  it('raises UnavailableError with retryAfter when the gateway loses Redis (503)', async () => {
    await redis.kill(true);
    try {
      const error = await caught(client.submitJob('a', messages));
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error.status).toBe(503);
      expect(error.retryAfter).toBe(1);
    } finally {
      await redis.restart();
    }
  });
});

describe('GatewayLLMClient against a gateway stand-in (error types, token, retry)', () => {
  let server: FakeServer;
  let script: { status: number; body: unknown; headers?: Record<string, string> }[] = [];
  beforeAll(async () => {
    server = await startFakeServer((_request, res) => {
      const next = script.shift() ?? { status: 200, body: { status: 'ok' } };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(JSON.stringify(next.body));
    });
  });
  afterAll(() => server.close());
  const envelope = (type: string, message = `${type} happened`) => ({ error: { type, message, request_id: 'r-1' } });

  it.each([
    [401, 'unauthorized', UnauthorizedError],
    [402, 'budget_exceeded', BudgetExceededError],
    [429, 'rate_limited', RateLimitedError],
    [500, 'internal_error', InternalError],
  ] as const)('maps %i %s to its class', async (status, type, errorClass) => {
    script = [{ status, body: envelope(type), headers: status === 429 ? { 'retry-after': '7' } : {} }];
    const error = await caught(new GatewayLLMClient({ baseUrl: server.url }).health());
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ status, type, message: `${type} happened`, requestId: 'r-1' });
    if (status === 429) expect(error.retryAfter).toBe(7);
  });

  it('maps a body that is not the envelope by its status', async () => {
    script = [{ status: 502, body: 'bad gateway' }];
    expect(await caught(new GatewayLLMClient({ baseUrl: server.url }).health())).toBeInstanceOf(UpstreamError);
  });

  it('sends the bearer token', async () => {
    await new GatewayLLMClient({ baseUrl: server.url, token: 'tok-123' }).health();
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer tok-123');
  });

  it('retries 429 and 503 after Retry-After when asked to', async () => {
    const before = server.requests.length;
    script = [
      { status: 429, body: envelope('rate_limited'), headers: { 'retry-after': '0.2' } },
      { status: 503, body: envelope('unavailable'), headers: { 'retry-after': '0.1' } },
      { status: 200, body: { status: 'ok' } },
    ];
    const started = Date.now();
    await expect(new GatewayLLMClient({ baseUrl: server.url, retry: { maxRetries: 3 } }).health()).resolves.toEqual({ status: 'ok' });
    expect(server.requests.length - before).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('never retries a 4xx of the caller, nor without a retry policy', async () => {
    const before = server.requests.length;
    script = [{ status: 400, body: envelope('invalid_request') }];
    expect(await caught(new GatewayLLMClient({ baseUrl: server.url, retry: { maxRetries: 3 } }).health())).toBeInstanceOf(InvalidRequestError);
    script = [{ status: 429, body: envelope('rate_limited'), headers: { 'retry-after': '0' } }];
    expect(await caught(new GatewayLLMClient({ baseUrl: server.url }).health())).toBeInstanceOf(RateLimitedError);
    expect(server.requests.length - before).toBe(2);
  });

  it('gives up after maxRetries with the last error', async () => {
    script = Array.from({ length: 3 }, () => ({ status: 503, body: envelope('unavailable'), headers: { 'retry-after': '0' } }));
    const before = server.requests.length;
    expect(await caught(new GatewayLLMClient({ baseUrl: server.url, retry: { maxRetries: 2 } }).health())).toBeInstanceOf(UnavailableError);
    expect(server.requests.length - before).toBe(3);
  });
});
