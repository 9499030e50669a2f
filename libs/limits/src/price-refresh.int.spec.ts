import { Redis } from 'ioredis';
import { startFakeOpenRouter, startRedis, uniqueLimitsPrefix, waitFor, type FakeOpenRouter, type TestRedis } from '@gateway/testing';
import { limitKeys } from './keys';
import { fetchOpenRouterPrices } from './openrouter-prices';
import { createPriceBook } from './price-book';
import { createPriceRefresher, FETCHED_AT_FIELD, type PriceRefresher } from './price-refresh';
import type { LimitsPrefix } from '@gateway/queue';

let redis: TestRedis;
let client: Redis;
let fake: FakeOpenRouter;
const refreshers: PriceRefresher[] = [];
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  fake = await startFakeOpenRouter({
    models: { kind: 'list', models: [{ id: 'acme/priced-by-endpoint', prompt: '0.000004', completion: '0.000012', inputCacheRead: '0.000001' }] },
  });
});
afterEach(async () => {
  await Promise.all(refreshers.splice(0).map((refresher) => refresher.stop()));
});
afterAll(async () => {
  client?.disconnect();
  await fake?.close();
  await redis?.stop();
});

const endpointPrice = { prompt: 4, completion: 12, cached: 1 };

/** One instance: its own price book and refresher on the shared prefix. */
function instance(prefix: LimitsPrefix, refreshMs: number, fetches = true) {
  const book = createPriceBook({ catalogue: () => undefined });
  const refresher = createPriceRefresher({
    redis: client,
    prefix,
    book,
    refreshMs,
    instanceId: `instance-${Math.random()}`,
    fetchPrices: fetches ? () => fetchOpenRouterPrices({ baseUrl: fake.baseUrl, timeoutMs: 2000 }) : undefined,
  });
  refreshers.push(refresher);
  return { book, refresher };
}

describe('OpenRouter price refresh', () => {
  beforeEach(() =>
    fake.setModels({ kind: 'list', models: [{ id: 'acme/priced-by-endpoint', prompt: '0.000004', completion: '0.000012', inputCacheRead: '0.000001' }] }),
  );

  it('is fetched by one instance, stored in one hash with its stamp, and read by all', async () => {
    const prefix = uniqueLimitsPrefix('prices');
    const before = fake.modelsFetches();
    const [first, second, reader] = [instance(prefix, 60_000), instance(prefix, 60_000), instance(prefix, 60_000, false)];
    await Promise.all([first.refresher.tick(), second.refresher.tick(), reader.refresher.tick()]);
    await Promise.all([first.refresher.tick(), second.refresher.tick(), reader.refresher.tick()]);
    expect(fake.modelsFetches() - before).toBe(1);
    const hash = await client.hgetall(limitKeys.openRouterPrices(prefix));
    expect(JSON.parse(hash['acme/priced-by-endpoint']!)).toEqual(endpointPrice);
    // The embedding models list is merged in (the fake lists OpenAI's at $0.02 and $0.13 per million).
    expect(JSON.parse(hash['openai/text-embedding-3-small']!)).toEqual({ prompt: 0.02, completion: 0 });
    expect(Number(hash[FETCHED_AT_FIELD])).toBeGreaterThan(0);
    expect(hash['openrouter/auto']).toBeUndefined();
    for (const { book } of [first, second, reader])
      expect(book.lookup('openrouter', 'acme/priced-by-endpoint')).toEqual({ price: endpointPrice, origin: 'openrouter' });
    expect(await client.pttl(limitKeys.priceRefreshLock(prefix))).toBeGreaterThan(50_000);
  });

  it.each([
    ['answers 500', { kind: 'status', status: 500 }],
    ['answers garbage', { kind: 'garbage' }],
    ['answers an empty list', { kind: 'empty' }],
    ['drops the connection', { kind: 'reset' }],
  ] as const)('keeps the last prices when the endpoint %s, and tries again within a poll interval', async (_label, failure) => {
    const prefix = uniqueLimitsPrefix('prices');
    const { book, refresher } = instance(prefix, 300);
    await refresher.tick();
    const stamp = book.openRouterFetchedAt();
    expect(stamp).toBeDefined();
    fake.setModels(failure);
    const failedBefore = fake.modelsFetches();
    // The lock of the good fetch lapses after refreshMs; the next rounds fetch and fail.
    await waitFor(async () => {
      await refresher.tick();
      return fake.modelsFetches() - failedBefore >= 2;
    }, 10_000);
    expect(book.openRouterFetchedAt()).toBe(stamp);
    expect(book.lookup('openrouter', 'acme/priced-by-endpoint')).toEqual({ price: endpointPrice, origin: 'openrouter' });
    expect(await client.hget(limitKeys.openRouterPrices(prefix), 'acme/priced-by-endpoint')).toBe(JSON.stringify(endpointPrice));
    // Back up: the next round takes the new list.
    fake.setModels({ kind: 'list', models: [{ id: 'acme/priced-by-endpoint', prompt: '0.000005', completion: '0.000015' }] });
    await waitFor(async () => {
      await refresher.tick();
      return book.priceOf('openrouter', 'acme/priced-by-endpoint').prompt === 5;
    }, 10_000);
  });

  it('prices from the other sources while the endpoint never answered, and shortens the lock after a failure', async () => {
    const prefix = uniqueLimitsPrefix('prices');
    fake.setModels({ kind: 'status', status: 503 });
    const { book, refresher } = instance(prefix, 3_600_000);
    await refresher.tick();
    expect(book.openRouterFetchedAt()).toBeUndefined();
    expect(book.lookup('openrouter', 'thudm/glm-4-9b-chat').origin).toBe('built-in');
    const ttl = await client.pttl(limitKeys.priceRefreshLock(prefix));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('skips fields that are not prices, and keeps running while Redis refuses', async () => {
    const prefix = uniqueLimitsPrefix('prices');
    await client.hset(limitKeys.openRouterPrices(prefix), {
      'acme/good': JSON.stringify({ prompt: 1, completion: 2 }),
      'acme/bad': '{"prompt": -1',
      'acme/worse': '{"prompt":"x","completion":1}',
      [FETCHED_AT_FIELD]: '123',
    });
    const { book, refresher } = instance(prefix, 60_000, false);
    await refresher.tick();
    expect(book.openRouterFetchedAt()).toBe(123);
    expect(book.openRouterModels()).toBe(1);
    // The hash replaced by one of a wrong type: the round fails, the prices in memory stay.
    await client.del(limitKeys.openRouterPrices(prefix));
    await client.set(limitKeys.openRouterPrices(prefix), 'not a hash');
    await expect(refresher.tick()).resolves.toBeUndefined();
    expect(book.priceOf('openrouter', 'acme/good')).toEqual({ prompt: 1, completion: 2 });
  });
});
