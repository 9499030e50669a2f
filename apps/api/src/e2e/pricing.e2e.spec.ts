import {
  postJson,
  spawnApp,
  startApi,
  startFakeOpenRouter,
  startRedis,
  uniquePrefix,
  waitFor,
  type AppProcess,
  type FakeOpenRouter,
  type FakeOpenRouterModel,
  type TestRedis,
} from '@gateway/testing';

/**
 * Prices from OpenRouter's models endpoint, fetched by one instance and shared through Redis: a model no table
 * knows is reserved and billed at the endpoint's price (the fake gives no `usage.cost`, so the gateway prices
 * the tokens), cached prompt tokens at its cache-read price; when the endpoint fails, the last prices (or,
 * before any, the fallback ones) keep pricing.
 */
const OR_KEY = 'sk-or-pricing';
const MODEL = 'acme/endpoint-only';
// $1000 / $2000 / $100 per million prompt / completion / cached tokens: far from any fallback price.
const priced: FakeOpenRouterModel = { id: MODEL, prompt: '0.001', completion: '0.002', inputCacheRead: '0.0001' };
const PROMPT = 'one two three four five six seven eight nine ten';
const ANSWER = 'a priced answer';

let redis: TestRedis;
const started: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((app) => app.stop()));
  await redis?.stop();
});
beforeAll(async () => {
  redis = await startRedis();
});

const envFor = (upstream: FakeOpenRouter, extra: Record<string, string>) => ({
  REDIS_URL: redis.url,
  QUEUE_PREFIX: uniquePrefix('pricing'),
  LLM_PROVIDER: 'openrouter',
  OPENROUTER_API_KEY: OR_KEY,
  OPENROUTER_BASE_URL: upstream.baseUrl,
  GATEWAY_RATE_RPS: '1000',
  GATEWAY_RATE_BURST: '1000',
  ...extra,
});

async function startApis(env: Record<string, string>, count: number) {
  const apis = await Promise.all(Array.from({ length: count }, () => startApi(env)));
  started.push(...apis.map((api) => api.process));
  return apis;
}
async function startWorker(env: Record<string, string>) {
  const worker = await spawnApp('worker', env);
  started.push(worker);
  return worker;
}

const chat = (baseUrl: string, body: Record<string, unknown> = {}) =>
  postJson(`${baseUrl}/v1/chat`, { model: MODEL, messages: [{ role: 'user', content: PROMPT }], max_tokens: 50, ...body });
const costOf = (body: unknown) => (body as { cost_usd: number }).cost_usd;
/** Tokens × USD per million: what the fake's answer costs at a price (10 prompt words, 3 answer words). */
const tokens = (price: { prompt: number; completion: number; cached?: number }, cached = 0) =>
  ((10 - cached) * price.prompt + cached * (price.cached ?? price.prompt) + 3 * price.completion) / 1e6;

describe('prices from the endpoint, shared by every instance', () => {
  let upstream: FakeOpenRouter;
  let apis: { baseUrl: string }[];
  beforeAll(async () => {
    upstream = await startFakeOpenRouter({
      apiKey: OR_KEY,
      models: { kind: 'list', models: [priced] },
      behave: () => ({ kind: 'reply', content: ANSWER, cost: null }),
    });
    const env = envFor(upstream, { PRICING_REFRESH_MS: '600000', LLM_DAILY_BUDGET_USD: '1' });
    [apis] = await Promise.all([startApis(env, 2), startWorker(env)]);
  });
  afterAll(() => upstream?.close());

  it('is fetched once for two API instances and a worker', () => {
    expect(upstream.modelsFetches()).toBe(1);
  });

  it('bills a model missing from every table at the endpoint price, on either instance', async () => {
    for (const api of apis) {
      const answer = await chat(api.baseUrl);
      expect(answer.status).toBe(200);
      expect(costOf(answer.body)).toBeCloseTo(tokens({ prompt: 1000, completion: 2000 }), 9);
    }
    const usage = (await (await fetch(`${apis[0]!.baseUrl}/v1/usage`)).json()) as { day: { by_model: Record<string, number> } };
    expect(usage.day.by_model[MODEL]).toBeCloseTo(2 * tokens({ prompt: 1000, completion: 2000 }), 9);
  });

  it('reserves at the endpoint price: a request that may cost more than the budget is refused before it runs', async () => {
    const calls = upstream.requests.length;
    // 1000 completion tokens at $2000 per million: $2 on a $1 budget.
    const refused = await chat(apis[1]!.baseUrl, { max_tokens: 1000 });
    expect(refused.status).toBe(402);
    expect((refused.body as { error: { message: string } }).error.message).toMatch(/may cost up to \$2\.0/);
    expect(upstream.requests.length).toBe(calls);
  });

  it('prices cached prompt tokens at the cache-read price when settling', async () => {
    upstream.setBehaviour(() => ({ kind: 'reply', content: ANSWER, cost: null, cachedTokens: 6 }));
    const answer = await chat(apis[0]!.baseUrl);
    expect(answer.status).toBe(200);
    expect(costOf(answer.body)).toBeCloseTo(tokens({ prompt: 1000, completion: 2000, cached: 100 }, 6), 9);
    // The provider's own figure still wins where it gives one.
    upstream.setBehaviour(() => ({ kind: 'reply', content: ANSWER, cost: 0.000123, cachedTokens: 6 }));
    expect(costOf((await chat(apis[0]!.baseUrl)).body)).toBe(0.000123);
  });
});

describe('when the endpoint fails', () => {
  let upstream: FakeOpenRouter;
  let baseUrl: string;
  beforeAll(async () => {
    upstream = await startFakeOpenRouter({
      apiKey: OR_KEY,
      models: { kind: 'status', status: 500 },
      behave: () => ({ kind: 'reply', content: ANSWER, cost: null }),
    });
    const env = envFor(upstream, { PRICING_REFRESH_MS: '300' });
    const [[api]] = await Promise.all([startApis(env, 1), startWorker(env)]);
    baseUrl = api!.baseUrl;
  });
  afterAll(() => upstream?.close());

  it('answers with the fallback prices until it answers, then with its prices, and keeps them through 500s, garbage and resets', async () => {
    await waitFor(() => upstream.modelsFetches() >= 2);
    const fallback = await chat(baseUrl);
    expect(fallback.status).toBe(200);
    // Unknown everywhere: the built-in `*` row ($3 / $15 per million).
    expect(costOf(fallback.body)).toBeCloseTo(tokens({ prompt: 3, completion: 15 }), 12);

    upstream.setModels({ kind: 'list', models: [priced] });
    const endpointCost = tokens({ prompt: 1000, completion: 2000 });
    await waitFor(async () => Math.abs(costOf((await chat(baseUrl)).body) - endpointCost) < 1e-12, 20_000, 200);

    for (const failure of [{ kind: 'status', status: 500 }, { kind: 'garbage' }, { kind: 'empty' }, { kind: 'reset' }] as const) {
      upstream.setModels(failure);
      const before = upstream.modelsFetches();
      await waitFor(() => upstream.modelsFetches() >= before + 2, 20_000);
      const answer = await chat(baseUrl);
      expect(answer.status).toBe(200);
      expect(costOf(answer.body)).toBeCloseTo(endpointCost, 12);
    }
  });
});
