import {
  postJson,
  spawnApp,
  startApi,
  startFakeOllama,
  startFakeOpenRouter,
  startOtlpReceiver,
  startRedis,
  stopAll,
  uniquePrefix,
  waitFor,
  type AppProcess,
  type FakeOllama,
  type FakeOpenRouter,
  type OtlpReceiver,
  type ReceivedSpan,
  type TestRedis,
} from '@gateway/testing';

const OPENROUTER_KEY = 'sk-or-traces-secret-1234';
const ADMIN_TOKEN = 'admin-token-for-traces-e2e';
const TOKEN = 'client-token-for-traces-e2e';
const PROMPT = 'a prompt that must never reach a span';
const ANSWER = 'an answer that must never reach a span';
const SPAN_KIND = { server: 2, client: 3, consumer: 5 };

let redis: TestRedis;
let receiver: OtlpReceiver;
let openrouter: FakeOpenRouter;
let ollama: FakeOllama;
let api: { baseUrl: string; process: AppProcess };
let workers: AppProcess[] = [];

beforeAll(async () => {
  [redis, receiver, openrouter, ollama] = await Promise.all([
    startRedis(),
    startOtlpReceiver(),
    startFakeOpenRouter({ apiKey: OPENROUTER_KEY }),
    startFakeOllama(),
  ]);
  const env = {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('traces'),
    LLM_PROVIDER: 'openrouter',
    LLM_FALLBACKS: 'ollama',
    OPENROUTER_API_KEY: OPENROUTER_KEY,
    OPENROUTER_BASE_URL: openrouter.baseUrl,
    OLLAMA_BASE_URL: ollama.url,
    OLLAMA_DEFAULT_MODEL: 'qwen-test:1b',
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
    GATEWAY_AUTH_TOKEN: TOKEN,
    WORKER_METRICS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=two%20words',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  // The API and one worker export protobuf, the other worker JSON: both encodings reach one receiver.
  [api, ...workers] = await Promise.all([
    startApi(env),
    spawnApp('worker', env),
    spawnApp('worker', { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'gateway-worker-json' }),
  ]);
});
afterAll(async () => {
  await Promise.all([api?.process.stop(), ...workers.map((worker) => worker.stop())]);
  await stopAll(openrouter, ollama, receiver, redis);
});
beforeEach(() => {
  openrouter.setBehaviour(() => ({ kind: 'reply', content: ANSWER, latencyMs: 100 }));
  ollama.setBehaviour(() => ({ kind: 'reply', content: 'Hello from Ollama' }));
});

const chat = (headers: Record<string, string> = {}) =>
  postJson(
    `${api.baseUrl}/v1/chat/completions`,
    { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }] },
    { authorization: `Bearer ${TOKEN}`, ...headers },
  );

const traceIdOf = (headers: Headers) => {
  const traceresponse = headers.get('traceresponse') ?? '';
  expect(traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  return traceresponse.split('-')[1]!;
};

/** The trace's spans once its API span, its job span and its settlement are in. */
const completeTrace = (traceId: string) =>
  waitFor(() => {
    const spans = receiver.trace(traceId);
    const names = spans.map((span) => span.name);
    return names.includes('POST /v1/chat/completions') && names.some((name) => name.startsWith('gateway.settle')) && spans;
  });

const one = (spans: readonly ReceivedSpan[], predicate: (span: ReceivedSpan) => boolean) => {
  const found = spans.filter(predicate);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('traces (OTLP/HTTP to an in-process receiver, protobuf and JSON)', () => {
  it('makes one trace per request: the API span, the queue wait, the job on whichever worker, the attempt and the settlement', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => chat()));
    const traceIds = answers.map((answer) => {
      expect(answer.status).toBe(200);
      return traceIdOf(answer.headers);
    });
    expect(new Set(traceIds).size).toBe(12);
    const services = new Set<string>();
    for (const traceId of traceIds) {
      const spans = await completeTrace(traceId);
      const server = one(spans, (span) => span.kind === SPAN_KIND.server);
      expect(server).toMatchObject({ service: 'gateway-api', name: 'POST /v1/chat/completions', parentSpanId: '' });
      expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/chat/completions', 'http.response.status_code': 200 });
      const wait = one(spans, (span) => span.name === 'gateway.queue_wait');
      const job = one(spans, (span) => span.kind === SPAN_KIND.consumer);
      expect(wait.parentSpanId).toBe(server.spanId);
      expect(job.parentSpanId).toBe(server.spanId);
      expect(job.name).toBe('gateway.job openai/gpt-4o-mini');
      expect(wait.endNs).toBeLessThanOrEqual(job.startNs);
      services.add(job.service);
      const attempt = one(spans, (span) => span.kind === SPAN_KIND.client);
      expect(attempt.parentSpanId).toBe(job.spanId);
      expect(attempt.name).toBe('chat openai/gpt-4o-mini');
      expect(attempt.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openrouter',
        'gen_ai.request.model': 'openai/gpt-4o-mini',
        'gen_ai.response.model': 'openai/gpt-4o-mini',
        'gen_ai.response.finish_reasons': ['stop'],
        'gateway.lane': 'interactive',
      });
      expect(attempt.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(attempt.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(typeof attempt.attributes['gateway.cost_usd']).toBe('number');
      const settle = one(spans, (span) => span.name === 'gateway.settle_and_reply');
      expect(settle.parentSpanId).toBe(job.spanId);
      expect(JSON.stringify(spans, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))).not.toMatch(/must never reach a span/);
    }
    // Both workers ran some of them: each continued the trace the job carried, in its own encoding.
    expect(services).toEqual(new Set(['gateway-worker', 'gateway-worker-json']));
    expect(new Set(receiver.exports.map((sent) => sent.contentType))).toEqual(new Set(['application/x-protobuf', 'application/json']));
    expect(receiver.exports.every((sent) => sent.headers['x-collector-token'] === 'two words')).toBe(true);
  });

  it('shows a failover as two attempt spans: the failed provider with its error type, then the one that answered', async () => {
    openrouter.setBehaviour(() => ({ kind: 'status', status: 500 }));
    const answer = await chat();
    expect(answer.status).toBe(200);
    const traceId = traceIdOf(answer.headers);
    const spans = await completeTrace(traceId);
    const job = one(spans, (span) => span.kind === SPAN_KIND.consumer);
    const attempts = spans.filter((span) => span.kind === SPAN_KIND.client).sort((a, b) => Number(a.startNs - b.startNs));
    expect(attempts.map((span) => [span.attributes['gen_ai.provider.name'], span.statusCode])).toEqual([
      ['openrouter', 2],
      ['ollama', 0],
    ]);
    expect(attempts.every((span) => span.parentSpanId === job.spanId)).toBe(true);
    expect(attempts[0]!.attributes).toMatchObject({ 'error.type': 'upstream_error', 'gateway.attempt': 1 });
    expect(attempts[0]!.attributes['gen_ai.response.model']).toBeUndefined();
    expect(attempts[1]!.attributes).toMatchObject({ 'gateway.attempt': 2, 'gen_ai.request.model': 'qwen-test:1b', 'gen_ai.response.finish_reasons': ['stop'] });
  });

  it("continues a client's traceparent and answers with the same trace id; the request log names the trace", async () => {
    const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    const answer = await chat({ traceparent: `00-${clientTrace}-${clientSpan}-01` });
    expect(answer.status).toBe(200);
    expect(traceIdOf(answer.headers)).toBe(clientTrace);
    const spans = await completeTrace(clientTrace);
    expect(one(spans, (span) => span.kind === SPAN_KIND.server).parentSpanId).toBe(clientSpan);
    const requestId = answer.headers.get('x-request-id');
    const logged = await waitFor(async () => {
      const page = (await (await fetch(`${api.baseUrl}/admin/requests?limit=50`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
        data: { request_id: string; trace_id?: string }[];
      };
      return page.data.find((entry) => entry.request_id === requestId);
    });
    expect(logged.trace_id).toBe(clientTrace);
  });

  it('makes no span for health probes', async () => {
    const health = await fetch(`${api.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('traceresponse')).toBeNull();
  });

  it('starts a new trace for a malformed traceparent, and marks a streamed answer’s first token on its attempt', async () => {
    const response = await fetch(`${api.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, traceparent: '00-not-a-trace-01' },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    });
    expect(response.status).toBe(200);
    await response.text();
    const traceId = traceIdOf(response.headers);
    const spans = await completeTrace(traceId);
    expect(one(spans, (span) => span.kind === SPAN_KIND.server).parentSpanId).toBe('');
    expect(one(spans, (span) => span.name === 'gateway.settle').parentSpanId).toBeTruthy();
    expect(one(spans, (span) => span.kind === SPAN_KIND.client).events).toContain('gen_ai.first_answer');
  });
});
