import {
  freePort,
  postJson,
  startFakeAnthropic,
  startFakeOllama,
  startFakeOpenRouter,
  startGateway,
  startRedis,
  uniquePrefix,
  type FakeAnthropic,
  type FakeOllama,
  type FakeOpenRouter,
  type GatewayProcesses,
  type OpenRouterBehaviour,
  type TestRedis,
} from '@gateway/testing';

const messages = [{ role: 'user', content: 'hello there' }];
const OPENROUTER_KEY = 'sk-or-e2e-secret-1234';
const ANTHROPIC_KEY = 'sk-ant-e2e-secret-5678';

let redis: TestRedis;
let gateway: GatewayProcesses;
let openrouter: FakeOpenRouter;
let ollama: FakeOllama;
let anthropic: FakeAnthropic;

const callsTo = () => ({ openrouter: openrouter.requests.length, ollama: ollama.requests.length, anthropic: anthropic.requests.length });
const failOpenRouter = (behaviour: OpenRouterBehaviour) => openrouter.setBehaviour(() => behaviour);

beforeAll(async () => {
  redis = await startRedis();
  [openrouter, ollama, anthropic] = await Promise.all([
    startFakeOpenRouter({ apiKey: OPENROUTER_KEY }),
    startFakeOllama(),
    startFakeAnthropic({ apiKey: ANTHROPIC_KEY }),
  ]);
  // Nothing listens on the cursor port: every failover passes a refused connection on its way.
  const closedPort = await freePort();
  gateway = await startGateway({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('failover'),
    LLM_PROVIDER: 'openrouter',
    MOCK_PROVIDER_ENABLED: 'true',
    LLM_FALLBACKS: 'cursor,ollama,anthropic',
    OPENROUTER_API_KEY: OPENROUTER_KEY,
    OPENROUTER_BASE_URL: openrouter.baseUrl,
    CURSOR_ADAPTER_URL: `http://127.0.0.1:${closedPort}`,
    OLLAMA_BASE_URL: ollama.url,
    OLLAMA_DEFAULT_MODEL: 'qwen-test:1b',
    ANTHROPIC_API_KEY: ANTHROPIC_KEY,
    ANTHROPIC_BASE_URL: anthropic.url,
    PROVIDER_TIMEOUT_MS: '1500',
    CIRCUIT_FAILURE_THRESHOLD: '1000',
  });
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([openrouter?.close(), ollama?.close(), anthropic?.close()]);
  await redis?.stop();
});
beforeEach(() => {
  for (const fake of [openrouter, ollama, anthropic]) fake.requests.length = 0;
  failOpenRouter({ kind: 'reply', content: 'Hello from the fake OpenRouter' });
  ollama.setBehaviour(() => ({ kind: 'reply', content: 'Hello from Ollama' }));
  anthropic.setBehaviour(() => ({ kind: 'reply', content: 'Hello from Anthropic' }));
});

describe('failover across providers (real processes, fake upstreams)', () => {
  it('warns at start-up that anthropic is deprecated', () => {
    expect(gateway.workers[0]!.output()).toMatch(/"provider":"anthropic".*provider is deprecated/);
  });

  it('is served by the primary when it answers', async () => {
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages });
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'openrouter', content: 'Hello from the fake OpenRouter' });
    expect(callsTo()).toEqual({ openrouter: 1, ollama: 0, anthropic: 0 });
  });

  it.each<[string, OpenRouterBehaviour]>([
    // Without Retry-After: a 429 with one also pauses OpenRouter for every worker (provider pacing), which the next cases would meet.
    ['429', { kind: 'status', status: 429 }],
    ['500', { kind: 'status', status: 500 }],
    ['503', { kind: 'status', status: 503 }],
    ['a connection reset', { kind: 'reset' }],
    ['a timeout', { kind: 'hang' }],
    ['a malformed answer', { kind: 'malformed' }],
    ['HTTP 200 with an error object', { kind: 'error-in-body', message: 'Provider returned error', code: 502 }],
  ])('fails over on %s (past a refused connection) to Ollama, asked for its default model', async (_name, behaviour) => {
    failOpenRouter(behaviour);
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'thudm/glm-4-9b-chat' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'ollama', content: 'Hello from Ollama', cost_usd: 0 });
    expect(callsTo()).toEqual({ openrouter: 1, ollama: 1, anthropic: 0 });
    expect(ollama.requests[0]!.body).toMatchObject({ model: 'qwen-test:1b', stream: false });
  });

  it('goes on to Anthropic (model vendor prefix stripped) when Ollama fails too', async () => {
    failOpenRouter({ kind: 'status', status: 503 });
    ollama.setBehaviour(() => ({ kind: 'status', status: 500, error: 'llama runner process has terminated' }));
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'anthropic/claude-3.5-sonnet' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'anthropic', content: 'Hello from Anthropic' });
    expect(anthropic.requests[0]!.body).toMatchObject({ model: 'claude-3.5-sonnet' });
    expect(anthropic.requests[0]!.headers['x-api-key']).toBe(ANTHROPIC_KEY);
  });

  it('goes past an Ollama fallback whose model is not pulled, without counting it against Ollama; a pinned one answers 400', async () => {
    type View = { providers: { id: string; circuit: { consecutive_failures: number } }[] };
    const ollamaFailures = async () =>
      ((await (await fetch(`${gateway.baseUrl}/v1/providers`)).json()) as View).providers.find((provider) => provider.id === 'ollama')?.circuit
        .consecutive_failures;
    const failuresBefore = await ollamaFailures();
    failOpenRouter({ kind: 'status', status: 503 });
    ollama.setBehaviour(() => ({ kind: 'status', status: 404 }));
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'anthropic/claude-3.5-sonnet' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'anthropic' });
    expect(callsTo()).toEqual({ openrouter: 1, ollama: 1, anthropic: 1 });

    const pinned = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'ollama/not-pulled:1b' });
    expect(pinned.status).toBe(400);
    expect(pinned.body).toMatchObject({
      error: { type: 'invalid_request', message: expect.stringContaining('try pulling it first'), attempts: [{ provider: 'ollama', status: 404 }] },
    });
    expect(await ollamaFailures()).toBe(failuresBefore);
  });

  it('does not fail over on a 400: the client gets the 400', async () => {
    failOpenRouter({ kind: 'status', status: 400, body: { error: { message: 'model is not a valid model ID', code: 400 } } });
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'nobody/nothing' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { type: 'invalid_request', attempts: [{ provider: 'openrouter', status: 400 }] } });
    expect((body as { error: { message: string } }).error.message).toContain('not a valid model ID');
    expect(callsTo()).toEqual({ openrouter: 1, ollama: 0, anthropic: 0 });
  });

  it('answers 502 listing every attempt, without any key, when all providers fail', async () => {
    failOpenRouter({ kind: 'status', status: 503 });
    ollama.setBehaviour(() => ({ kind: 'status', status: 500, error: 'out of memory' }));
    anthropic.setBehaviour(() => ({ kind: 'status', status: 529, errorType: 'overloaded_error', message: 'Overloaded' }));
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages });
    expect(status).toBe(502);
    const error = (body as { error: { type: string; attempts: { provider: string; status: number | null; reason: string }[] } }).error;
    expect(error.type).toBe('upstream_error');
    expect(error.attempts.map((attempt) => [attempt.provider, attempt.status])).toEqual([
      ['openrouter', 503],
      ['cursor', null],
      ['ollama', 500],
      ['anthropic', 529],
    ]);
    expect(error.attempts[1]!.reason).toContain('ECONNREFUSED');
    expect(JSON.stringify(body)).not.toMatch(/sk-or-e2e|sk-ant-e2e/);
    for (const worker of gateway.workers) expect(worker.output()).not.toMatch(/sk-or-e2e|sk-ant-e2e/);
  });

  it('routes prefixed models to their provider only, prefix stripped, without failover', async () => {
    const pinned = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'ollama/llama3.2:1b' });
    expect(pinned).toMatchObject({ status: 200, body: { provider: 'ollama' } });
    expect(ollama.requests[0]!.body).toMatchObject({ model: 'llama3.2:1b' });

    ollama.setBehaviour(() => ({ kind: 'status', status: 503, error: 'busy' }));
    const failed = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'ollama/llama3.2:1b' });
    expect(failed.status).toBe(502);
    expect((failed.body as { error: { attempts: unknown[] } }).error.attempts).toHaveLength(1);

    expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/echo' })).body).toMatchObject({ provider: 'mock' });
    expect(callsTo().openrouter).toBe(0);
  });

  it('keeps every worker alive through all of it', () => {
    for (const worker of gateway.workers) expect(worker.child.exitCode).toBeNull();
  });
});
