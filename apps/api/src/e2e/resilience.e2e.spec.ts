import { spawnApp, startGateway, startRedis, postJson, uniquePrefix, waitFor, type GatewayProcesses, type TestRedis } from '@gateway/testing';

const messages = [{ role: 'user', content: 'hi' }];

describe('timeouts', () => {
  let redis: TestRedis;
  let gateway: GatewayProcesses;
  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startGateway({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('timeout'), LLM_PROVIDER: 'mock', CHAT_TIMEOUT_MS: '400' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  it('answers 504 when the job does not finish in CHAT_TIMEOUT_MS', async () => {
    const started = Date.now();
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/slow?latency=3000' });
    expect(status).toBe(504);
    expect(body).toMatchObject({ error: { type: 'timeout', job_id: expect.any(String) } });
    expect(Date.now() - started).toBeLessThan(2000);
    // The worker had started it: it runs on, and its result can be fetched with the id the 504 gave.
    const jobId = (body as { error: { job_id: string } }).error.job_id;
    const view = await waitFor(async () => {
      const job = (await (await fetch(`${gateway.baseUrl}/v1/jobs/${jobId}`)).json()) as { status: string; result?: { content: string } };
      return job.status === 'completed' ? job : undefined;
    }, 10_000);
    expect(view?.result?.content).toEqual(expect.any(String));
  });
});

describe('Redis going away and coming back', () => {
  let redis: TestRedis;
  let gateway: GatewayProcesses;
  beforeAll(async () => {
    redis = await startRedis({ spawn: true });
    gateway = await startGateway({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('restart'), LLM_PROVIDER: 'mock' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  it('answers 503 promptly while Redis is down and recovers by itself', async () => {
    expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages })).status).toBe(200);
    await redis.kill(true);

    const started = Date.now();
    const health = await fetch(`${gateway.baseUrl}/healthz`);
    expect(health.status).toBe(503);
    const down = await postJson(`${gateway.baseUrl}/v1/chat`, { messages });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ error: { type: 'unavailable' } });
    expect(down.headers.get('retry-after')).toBe('1');
    expect(Date.now() - started).toBeLessThan(2500);

    await redis.restart();
    await waitFor(async () => (await fetch(`${gateway.baseUrl}/healthz`)).status === 200, 15_000, 100);
    // The worker reconnects on its own too: a chat completes end to end without restarting anything.
    const chat = await waitFor(
      async () => {
        const answer = await postJson(`${gateway.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'after restart' }] });
        return answer.status === 200 ? answer : undefined;
      },
      10_000,
      200,
    );
    expect(chat.body).toMatchObject({ content: 'Mock reply to: after restart' });
    expect(gateway.api.child.exitCode).toBeNull();
    expect(gateway.workers[0]!.child.exitCode).toBeNull();
  });
});

describe('start-up configuration errors', () => {
  it.each([
    [{ LLM_PROVIDER: 'openrouter' }, 'OPENROUTER_API_KEY'],
    [{ LLM_PROVIDER: 'mock', GATEWAY_PORT: 'eighty' }, 'GATEWAY_PORT'],
    [{ LLM_PROVIDER: 'nope' }, 'LLM_PROVIDER'],
  ])('the api refuses %j naming %s', async (env, variable) => {
    const attempt = spawnApp('api', env as Record<string, string>, { timeoutMs: 10_000 });
    await expect(attempt).rejects.toThrow(variable);
  });

  it('the worker refuses to run on openrouter without a key', async () => {
    await expect(spawnApp('worker', { LLM_PROVIDER: 'openrouter' }, { timeoutMs: 10_000 })).rejects.toThrow('OPENROUTER_API_KEY');
  });
});
