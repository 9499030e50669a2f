import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  spawnApp,
  startApi,
  startFakeOpenRouter,
  startGateway,
  startRedis,
  postJson,
  uniquePrefix,
  type AppProcess,
  type FakeOpenRouter,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dir = mkdtempSync(join(tmpdir(), 'gw-limits-e2e-'));
const messages = [{ role: 'user', content: 'hi' }];

describe('rate limit across two API instances', () => {
  const rps = 0.5;
  const burst = 5;
  let redis: TestRedis;
  let gateway: GatewayProcesses;
  let second: { baseUrl: string; process: AppProcess };
  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix('rate'),
      LLM_PROVIDER: 'mock',
      GATEWAY_RATE_RPS: String(rps),
      GATEWAY_RATE_BURST: String(burst),
    };
    [gateway, second] = await Promise.all([startGateway(env), startApi(env)]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), second?.process.stop()]);
    await redis?.stop();
  });

  it('accepts no more than the bucket allows, refuses the rest with a right Retry-After, and refills', async () => {
    const total = 30;
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: total }, (_, index) =>
        postJson(`${index % 2 === 0 ? gateway.baseUrl : second.baseUrl}/v1/chat`, { agent_id: 'busy-agent', messages, model: 'mock/echo' }),
      ),
    );
    const elapsedSeconds = (Date.now() - started) / 1000;
    const accepted = results.filter((result) => result.status === 200).length;
    const refused = results.filter((result) => result.status === 429);
    const bound = burst + Math.floor(rps * elapsedSeconds);
    process.stdout.write(
      `two-instance rate limit: ${accepted} accepted, ${refused.length} refused (429) of ${total} in ${elapsedSeconds.toFixed(2)} s; bound burst + rps × elapsed = ${bound}\n`,
    );
    expect(accepted).toBeGreaterThanOrEqual(burst);
    expect(accepted).toBeLessThanOrEqual(bound);
    expect(accepted + refused.length).toBe(total);
    for (const result of refused) {
      expect(result.body).toMatchObject({ error: { type: 'rate_limited', message: expect.stringContaining('busy-agent') } });
      const retryAfter = Number(result.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil(1 / rps));
    }

    // Another agent has its own bucket.
    expect((await postJson(`${second.baseUrl}/v1/chat`, { agent_id: 'quiet-agent', messages, model: 'mock/echo' })).status).toBe(200);

    // Waiting the Retry-After the gateway gave is enough, on either instance.
    const refusedNow = await postJson(`${gateway.baseUrl}/v1/chat`, { agent_id: 'busy-agent', messages, model: 'mock/echo' });
    expect(refusedNow.status).toBe(429);
    // Every chat-like route is admitted the same way.
    const viaJobs = await postJson(`${second.baseUrl}/v1/jobs`, { agent_id: 'busy-agent', messages, model: 'mock/echo' });
    expect(viaJobs.status).toBe(429);
    expect(viaJobs.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const viaOpenAi = await postJson(`${gateway.baseUrl}/v1/chat/completions`, { user: 'busy-agent', messages, model: 'mock/echo' });
    expect(viaOpenAi.status).toBe(429);
    const viaBatch = await postJson(`${second.baseUrl}/v1/batches`, [{ agent_id: 'busy-agent', messages, model: 'mock/echo' }]);
    expect(viaBatch.status).toBe(429);
    await sleep(Number(refusedNow.headers.get('retry-after')) * 1000 + 50);
    const refilled = await postJson(`${second.baseUrl}/v1/chat`, { agent_id: 'busy-agent', messages, model: 'mock/echo' });
    expect(refilled.status).toBe(200);

    const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/gateway_rate_limit_rejections_total\{[^}]*limit="rate"[^}]*\} [1-9]/);
  });

  it('takes one token per request of a batch, on either instance', async () => {
    const batch = (agent: string, size: number, baseUrl = gateway.baseUrl) =>
      postJson(
        `${baseUrl}/v1/batches`,
        Array.from({ length: size }, () => ({ agent_id: agent, messages, model: 'mock/echo' })),
      );
    // 3 + 2 requests empty a bucket of 5 (it used to take one token per batch): the next single call is refused.
    expect((await batch('batch-agent', 3)).status).toBe(202);
    expect((await batch('batch-agent', 2, second.baseUrl)).status).toBe(202);
    const after = await postJson(`${second.baseUrl}/v1/chat`, { agent_id: 'batch-agent', messages, model: 'mock/echo' });
    expect(after.status).toBe(429);
    // A batch larger than the burst is admitted from a full bucket; it leaves the bucket in debt for all its requests.
    expect((await batch('big-batch-agent', 12)).status).toBe(202);
    const limited = await batch('big-batch-agent', 1, second.baseUrl);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { type: 'rate_limited', message: expect.stringContaining('big-batch-agent') } });
    // 7 tokens of debt + 1 at 0.5/s: 16 s.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(15);
  });
});

describe('budgets across two API instances', () => {
  let redis: TestRedis;
  let fake: FakeOpenRouter;
  let gateway: GatewayProcesses;
  let second: { baseUrl: string; process: AppProcess };
  // 'test/priced' costs $1000 per million tokens both ways: "hi" (5 prompt tokens estimated) + max_tokens 10 = $0.015 reserved.
  const estimate = 0.015;
  const actualCost = 0.01;
  beforeAll(async () => {
    const pricing = join(dir, 'pricing.json');
    writeFileSync(pricing, JSON.stringify({ 'test/priced': { prompt: 1000, completion: 1000 }, 'test/cheap': { prompt: 5, completion: 5 } }));
    [redis, fake] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: 'sk-or-budget' })]);
    fake.setBehaviour(() => ({ kind: 'reply', content: 'priced answer', cost: actualCost }));
    const env = {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix('budget'),
      LLM_PROVIDER: 'openrouter',
      OPENROUTER_API_KEY: 'sk-or-budget',
      OPENROUTER_BASE_URL: fake.baseUrl,
      LLM_PRICING_FILE: pricing,
      LLM_DAILY_BUDGET_USD: '0.1',
      LLM_MONTHLY_BUDGET_USD: '100',
      GATEWAY_RATE_RPS: '1000',
      GATEWAY_RATE_BURST: '1000',
    };
    [gateway, second] = await Promise.all([startGateway(env, { workers: 2 }), startApi(env)]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), second?.process.stop()]);
    await fake?.close();
    await redis?.stop();
  });

  it('refuses a batch the budget cannot cover, giving back every reservation it took', async () => {
    // 10 × $0.015 reserved against $0.1: the seventh reservation is refused, the six before it are released.
    const items = Array.from({ length: 10 }, (_, index) => ({ agent_id: 'batcher', messages, model: 'test/priced', max_tokens: 10, custom_id: `b${index}` }));
    const refused = await postJson(`${gateway.baseUrl}/v1/batches`, items);
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ error: { type: 'budget_exceeded', budget: { name: 'daily' } } });
    const usage = (await (await fetch(`${gateway.baseUrl}/v1/usage`)).json()) as Record<string, Record<string, unknown>>;
    expect(usage['day']).toMatchObject({ spent_usd: 0, in_flight_usd: 0, jobs: 0 });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a large batch whose later requests pass the budget, keeping none of the reservations before them', async () => {
    // 'test/cheap': (5 + 10 tokens) × $5 per million = $0.000075 each; 1,500 of them ($0.1125) pass $0.1 past the
    // first 1,000 (reserved by one script, then given back when a later one refuses).
    const items = Array.from({ length: 1500 }, () => ({ agent_id: 'batcher', messages, model: 'test/cheap', max_tokens: 10 }));
    const refused = await postJson(`${gateway.baseUrl}/v1/batches`, items);
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ error: { type: 'budget_exceeded', budget: { name: 'daily' } } });
    const usage = (await (await fetch(`${gateway.baseUrl}/v1/usage`)).json()) as Record<string, Record<string, unknown>>;
    expect(usage['day']).toMatchObject({ spent_usd: 0, in_flight_usd: 0, jobs: 0 });
    expect(fake.requests).toHaveLength(0);
  });

  it('bills the real cost, refuses with 402 once the daily budget is reached, on both instances', async () => {
    const bases = [gateway.baseUrl, second.baseUrl];
    const accepted: number[] = [];
    let refusal: { status: number; body: unknown } | undefined;
    for (let index = 0; index < 20 && !refusal; index += 1) {
      const result = await postJson(`${bases[index % 2]}/v1/chat`, { agent_id: `agent-${index % 2}`, messages, model: 'test/priced', max_tokens: 10 });
      if (result.status === 200) {
        expect(result.body).toMatchObject({ cost_usd: actualCost, provider: 'openrouter' });
        accepted.push(index);
      } else refusal = result;
    }
    // $0.01 per call against $0.1 with $0.015 reserved per call: the 10th call no longer fits.
    expect(accepted).toHaveLength(9);
    expect(refusal?.status).toBe(402);
    expect(refusal?.body).toMatchObject({
      error: {
        type: 'budget_exceeded',
        message: expect.stringMatching(/daily budget exceeded .*spent \$0\.0900 of \$0\.100/),
        budget: { name: 'daily', spent_usd: 0.09, limit_usd: 0.1, estimate_usd: estimate },
      },
    });
    for (const base of bases) {
      const again = await postJson(`${base}/v1/chat`, { messages, model: 'test/priced', max_tokens: 10 });
      expect(again.status).toBe(402);
    }

    const usage = (await (await fetch(`${second.baseUrl}/v1/usage`)).json()) as Record<string, Record<string, unknown>>;
    expect(usage['day']).toMatchObject({
      spent_usd: 0.09,
      in_flight_usd: 0,
      budget_usd: 0.1,
      jobs: 9,
      by_agent: { 'agent-0': 0.05, 'agent-1': 0.04 },
      by_model: { 'test/priced': 0.09 },
    });
    expect(usage['month']).toMatchObject({ spent_usd: 0.09, budget_usd: 100 });
    const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/gateway_rate_limit_rejections_total\{[^}]*limit="daily_budget"[^}]*\} [1-9]/);
  });

  it('answers GET /v1/usage with the budgets', async () => {
    const response = await fetch(`${gateway.baseUrl}/v1/usage`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      day: { period: new Date().toISOString().slice(0, 10) },
      month: { period: new Date().toISOString().slice(0, 7) },
    });
  });
});

describe('limits switched off (GATEWAY_LIMITS_ENABLED=false)', () => {
  let redis: TestRedis;
  let fake: FakeOpenRouter;
  let gateway: GatewayProcesses;
  beforeAll(async () => {
    [redis, fake] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: 'sk-or-off' })]);
    fake.setBehaviour(() => ({ kind: 'reply', content: 'free for all', cost: 0.01 }));
    gateway = await startGateway({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix('limits-off'),
      LLM_PROVIDER: 'openrouter',
      OPENROUTER_API_KEY: 'sk-or-off',
      OPENROUTER_BASE_URL: fake.baseUrl,
      GATEWAY_LIMITS_ENABLED: 'false',
      GATEWAY_RATE_RPS: '0.1',
      GATEWAY_RATE_BURST: '1',
      LLM_DAILY_BUDGET_USD: '0.02',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await fake?.close();
    await redis?.stop();
  });

  it('admits past the rate limit and the budget, and still records the spend', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => postJson(`${gateway.baseUrl}/v1/chat`, { agent_id: 'free', messages })));
    expect(results.map((result) => result.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const usage = (await (await fetch(`${gateway.baseUrl}/v1/usage`)).json()) as Record<string, Record<string, unknown>>;
    expect(usage['day']).toMatchObject({ spent_usd: 0.06, jobs: 6, by_agent: { free: 0.06 } });
  });
});

describe('budget overshoot under concurrent load (two API instances, two workers)', () => {
  let redis: TestRedis;
  let fake: FakeOpenRouter;
  let gateway: GatewayProcesses;
  let second: { baseUrl: string; process: AppProcess };
  beforeAll(async () => {
    const pricing = join(dir, 'pricing-load.json');
    writeFileSync(pricing, JSON.stringify({ 'test/priced': { prompt: 1000, completion: 1000 }, 'test/cheap': { prompt: 5, completion: 5 } }));
    [redis, fake] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: 'sk-or-load' })]);
    // Real costs scatter above and below the $0.015 estimate: from 80 % to 160 % of it (a poor estimate).
    fake.setBehaviour((_request, index) => ({ kind: 'reply', content: 'x', cost: 0.015 * (0.8 + (index % 5) * 0.2), latencyMs: 20 }));
    const env = {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix('load'),
      LLM_PROVIDER: 'openrouter',
      OPENROUTER_API_KEY: 'sk-or-load',
      OPENROUTER_BASE_URL: fake.baseUrl,
      LLM_PRICING_FILE: pricing,
      LLM_DAILY_BUDGET_USD: '0.5',
      GATEWAY_RATE_RPS: '10000',
      GATEWAY_RATE_BURST: '10000',
    };
    [gateway, second] = await Promise.all([startGateway(env, { workers: 2 }), startApi(env)]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), second?.process.stop()]);
    await fake?.close();
    await redis?.stop();
  });

  it('overshoots the budget by no more than the admitted calls’ costs above their estimates', async () => {
    // Waves of 40 concurrent requests split across both instances, until a whole wave is refused.
    const costs: number[] = [];
    let refused = 0;
    for (let wave = 0; wave < 10; wave += 1) {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          postJson(`${index % 2 === 0 ? gateway.baseUrl : second.baseUrl}/v1/chat`, { messages, model: 'test/priced', max_tokens: 10 }),
        ),
      );
      const ok = results.filter((result) => result.status === 200);
      expect(ok.length + results.filter((result) => result.status === 402).length).toBe(results.length);
      costs.push(...ok.map((result) => (result.body as { cost_usd: number }).cost_usd));
      refused += results.length - ok.length;
      if (ok.length === 0) break;
    }
    const spent = costs.reduce((sum, cost) => sum + cost, 0);
    const bound = costs.reduce((sum, cost) => sum + Math.max(0, cost - 0.015), 0);
    const usage = (await (await fetch(`${gateway.baseUrl}/v1/usage`)).json()) as { day: { spent_usd: number; in_flight_usd: number } };
    process.stdout.write(
      `budget under load: ${costs.length} admitted, ${refused} refused (402); spent $${usage.day.spent_usd.toFixed(4)} of $0.5, overshoot $${Math.max(0, usage.day.spent_usd - 0.5).toFixed(4)}, bound $${bound.toFixed(4)}\n`,
    );
    expect(usage.day.spent_usd).toBeCloseTo(spent, 9);
    expect(usage.day.in_flight_usd).toBe(0);
    expect(refused).toBeGreaterThan(0);
    expect(usage.day.spent_usd - 0.5).toBeLessThanOrEqual(bound + 1e-9);
  });
});

describe('pricing file at start-up', () => {
  it.each([
    ['not JSON', '{"test/priced": '],
    ['a negative price', JSON.stringify({ 'test/priced': { prompt: -1, completion: 1 } })],
  ])('a malformed file (%s) stops the api and the worker naming LLM_PRICING_FILE', async (_label, text) => {
    const path = join(dir, `bad-${Math.random()}.json`);
    writeFileSync(path, text);
    const env = { LLM_PROVIDER: 'mock', LLM_PRICING_FILE: path, REDIS_URL: 'redis://127.0.0.1:1' };
    await expect(spawnApp('api', env, { timeoutMs: 10_000 })).rejects.toThrow(/LLM_PRICING_FILE/);
    await expect(spawnApp('worker', env, { timeoutMs: 10_000 })).rejects.toThrow(/LLM_PRICING_FILE/);
  });
});
