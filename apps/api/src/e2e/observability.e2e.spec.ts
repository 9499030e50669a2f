import { freePort, metricValue, postJson, scrapeMetrics, useGateway } from '@gateway/testing';

const providerKey = 'sk-or-observability-secret-key';
const token = 'gw-observability-secret-token';
const auth = { authorization: `Bearer ${token}` };
const messages = [{ role: 'user', content: 'hello' }];

let workerMetricsUrl: string;

const { fake, gateway } = useGateway({
  name: 'obs',
  openRouter: { apiKey: providerKey },
  env: async () => {
    const metricsPort = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    return {
      MOCK_PROVIDER_ENABLED: 'true',
      PROVIDER_TIMEOUT_MS: '3000',
      GATEWAY_AUTH_TOKEN: token,
      LOG_LEVEL: 'debug',
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_METRICS_HOST: '127.0.0.1',
    };
  },
});

describe('metrics', () => {
  it('move as requests are made, on the API and on the worker port', async () => {
    const [apiBefore, workerBefore] = await Promise.all([scrapeMetrics(`${gateway.baseUrl}/metrics`), scrapeMetrics(workerMetricsUrl)]);
    fake.setBehaviour(() => ({ kind: 'reply', content: 'hi', cost: 0.001 }));
    for (let index = 0; index < 3; index += 1) expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, auth)).status).toBe(200);
    expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/x?latency=5' }, auth)).status).toBe(200);
    fake.setBehaviour(() => ({ kind: 'status', status: 503 }));
    expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, auth)).status).toBe(502);
    expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages })).status).toBe(401);
    const [api, worker] = await Promise.all([scrapeMetrics(`${gateway.baseUrl}/metrics`), scrapeMetrics(workerMetricsUrl)]);
    const delta = (after: typeof api, before: typeof api, name: string, labels: Record<string, string>) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);

    expect(delta(api, apiBefore, 'gateway_http_requests_total', { route: '/v1/chat', method: 'POST', status_code: '200' })).toBe(4);
    expect(delta(api, apiBefore, 'gateway_http_requests_total', { route: '/v1/chat', method: 'POST', status_code: '502' })).toBe(1);
    expect(delta(api, apiBefore, 'gateway_http_requests_total', { method: 'POST', status_code: '401' })).toBe(1);
    expect(delta(api, apiBefore, 'gateway_http_request_duration_seconds_count', { route: '/v1/chat' })).toBe(5);
    expect(metricValue(api, 'gateway_queue_jobs', { queue: 'chat', state: 'completed' })).toBeGreaterThanOrEqual(4);
    expect(metricValue(api, 'gateway_queue_jobs', { queue: 'chat', state: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(api.some((sample) => sample.name === 'gateway_queue_jobs' && sample.labels['state'] === 'waiting')).toBe(true);

    expect(delta(worker, workerBefore, 'gateway_provider_requests_total', { provider: 'openrouter', model: 'thudm/glm-4-9b-chat', outcome: 'success' })).toBe(
      3,
    );
    expect(delta(worker, workerBefore, 'gateway_provider_requests_total', { provider: 'mock', model: 'x', outcome: 'success' })).toBe(1);
    expect(delta(worker, workerBefore, 'gateway_provider_requests_total', { provider: 'openrouter', outcome: 'upstream_error' })).toBe(1);
    expect(delta(worker, workerBefore, 'gateway_provider_request_duration_seconds_count', { provider: 'openrouter' })).toBe(4);
    expect(delta(worker, workerBefore, 'gateway_jobs_total', { queue: 'chat', outcome: 'completed' })).toBe(4);
    expect(delta(worker, workerBefore, 'gateway_jobs_total', { queue: 'chat', outcome: 'failed' })).toBe(1);
    expect(delta(worker, workerBefore, 'gateway_job_duration_seconds_count', { queue: 'chat' })).toBe(5);
    expect(delta(worker, workerBefore, 'gateway_job_wait_seconds_count', { queue: 'chat' })).toBe(5);
    expect(metricValue(worker, 'gateway_provider_tokens_total', { provider: 'openrouter', kind: 'completion' })).toBeGreaterThan(0);
  });

  it('label routes by their lower-cased pattern, whatever the casing or ids of the requests', async () => {
    const paths = [
      '/AdMiN/QuEuEs/api/queues',
      '/aDmIn/queues/',
      '/V1/JoBs/00000000-0000-4000-8000-000000000000',
      '/v1/jobs/Wait',
      '/NoSuCh/Path',
      '/nosuch/path',
    ];
    for (const path of paths) await fetch(`${gateway.baseUrl}${path}`, { headers: auth });
    const routes = new Set(
      (await scrapeMetrics(`${gateway.baseUrl}/metrics`))
        .filter((sample) => sample.name === 'gateway_http_requests_total')
        .map((sample) => sample.labels['route']),
    );
    expect([...routes].filter((route) => route !== route?.toLowerCase() || /0000|wait|nosuch/.test(route ?? ''))).toEqual([]);
    expect(routes).toContain('/v1/jobs/:id');
    expect(routes).toContain('unmatched');
  });

  it('follow Prometheus naming and include the process metrics', async () => {
    const response = await fetch(`${gateway.baseUrl}/metrics`);
    const text = await response.text();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => ({ name: match[1]!, type: match[2]! }));
    expect(types.length).toBeGreaterThan(10);
    for (const { name, type } of types) {
      expect(name).toMatch(/^gateway_[a-z0-9_]+$/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
    }
    expect(types.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['gateway_process_cpu_user_seconds_total', 'gateway_process_resident_memory_bytes']),
    );
  });

  it('serves only /metrics on the worker port, bound to 127.0.0.1', async () => {
    const other = await fetch(workerMetricsUrl.replace('/metrics', '/'));
    expect(other.status).toBe(404);
    expect(gateway.workers[0]!.output()).toMatch(/"host":"127.0.0.1".*"msg":"worker metrics listening"/);
  });
});

describe('logs', () => {
  it('carry the request id from the API into the worker, with provider, model, latency and outcome', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: 'traced' }));
    const { status, headers } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, { ...auth, 'x-request-id': 'req-ops-trace-42' });
    expect(status).toBe(200);
    expect(headers.get('x-request-id')).toBe('req-ops-trace-42');
    await gateway.api.waitForOutput(/"requestId":"req-ops-trace-42".*"msg":"request finished"/);
    const workerLine = await gateway.workers[0]!.waitForOutput(/\{[^\n]*"requestId":"req-ops-trace-42"[^\n]*"msg":"chat job finished"[^\n]*\}/);
    expect(JSON.parse(workerLine)).toMatchObject({
      provider: 'openrouter',
      model: expect.any(String),
      latencyMs: expect.any(Number),
      outcome: 'completed',
      jobId: expect.any(String),
    });
  });

  it('never contain the provider key or the gateway token, whatever the requests', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 401, body: { error: { message: `bad key ${providerKey}`, code: 401 } } }));
    await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, auth);
    await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, { authorization: `Bearer ${token}-wrong` });
    await postJson(`${gateway.baseUrl}/v1/chat`, { messages: 'bad' }, auth);
    await fetch(`${gateway.baseUrl}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from(`op:${token}`).toString('base64')}` } });
    await gateway.api.waitForOutput(/"route":"\/admin\/queues"/);
    const output = gateway.api.output() + gateway.workers.map((worker) => worker.output()).join('');
    expect(output.length).toBeGreaterThan(1000);
    expect(output).not.toContain(providerKey);
    expect(output).not.toContain(token);
    expect(output).not.toContain(Buffer.from(`op:${token}`).toString('base64'));
  });
});
