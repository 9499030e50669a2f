import {
  postJson,
  startFakeOpenRouter,
  startGateway,
  startRedis,
  stopAll,
  uniquePrefix,
  type FakeOpenRouter,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

const messages = [{ role: 'user', content: 'Say hello' }];

let redis: TestRedis;
let fake: FakeOpenRouter;
beforeAll(async () => {
  [redis, fake] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: 'sk-or-mock-e2e' })]);
});
afterAll(() => stopAll(fake, redis));

describe('the mock provider', () => {
  describe('behind a real primary, not enabled', () => {
    let gateway: GatewayProcesses;
    beforeAll(async () => {
      gateway = await startGateway({
        REDIS_URL: redis.url,
        QUEUE_PREFIX: uniquePrefix('mock-off'),
        LLM_PROVIDER: 'openrouter',
        OPENROUTER_API_KEY: 'sk-or-mock-e2e',
        OPENROUTER_BASE_URL: fake.baseUrl,
      });
    });
    afterAll(() => gateway?.stop());

    it.each(['/v1/chat', '/v1/jobs'])('refuses mock/… on %s with 400 invalid_request (nothing enqueued, nothing free)', async (route) => {
      const { status, body } = await postJson(`${gateway.baseUrl}${route}`, { messages, model: 'mock/x?latency=600000' });
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining('mock provider is not enabled') } });
    });

    it('still serves vendor models through the primary', async () => {
      fake.setBehaviour(() => ({ kind: 'reply', content: 'from upstream' }));
      expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'openai/gpt-4o' })).body).toMatchObject({ provider: 'openrouter' });
    });
  });

  describe('enabled by MOCK_PROVIDER_ENABLED, with a short PROVIDER_TIMEOUT_MS', () => {
    let gateway: GatewayProcesses;
    beforeAll(async () => {
      gateway = await startGateway({
        REDIS_URL: redis.url,
        QUEUE_PREFIX: uniquePrefix('mock-on'),
        LLM_PROVIDER: 'openrouter',
        OPENROUTER_API_KEY: 'sk-or-mock-e2e',
        OPENROUTER_BASE_URL: fake.baseUrl,
        MOCK_PROVIDER_ENABLED: 'true',
        PROVIDER_TIMEOUT_MS: '500',
      });
    });
    afterAll(() => gateway?.stop());

    it('answers mock/…', async () => {
      expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/echo' })).body).toMatchObject({
        provider: 'mock',
        content: 'Mock reply to: Say hello',
      });
    });

    it('cuts a latency past PROVIDER_TIMEOUT_MS off as a timeout, like a real call', async () => {
      const started = Date.now();
      const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/x?latency=600000' });
      expect(status).toBe(504);
      expect(body).toMatchObject({ error: { type: 'timeout' } });
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('cuts a stream whose chunk delays add up past PROVIDER_TIMEOUT_MS', async () => {
      const started = Date.now();
      const response = await fetch(`${gateway.baseUrl}/v1/chat/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages, model: 'mock/x?chunk_delay=200&reply=one%20two%20three%20four%20five%20six' }),
      });
      const text = await response.text();
      expect(text).toContain('"type":"timeout"');
      expect(text).not.toContain('"content":"six"');
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});
