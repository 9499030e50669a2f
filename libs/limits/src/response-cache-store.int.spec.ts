import { Cluster, Redis } from 'ioredis';
import type { ChatJobResult } from '@gateway/contracts';
import type { LimitsPrefix } from '@gateway/queue';
import { startRedis, startRedisCluster, uniqueLimitsPrefix, type TestRedis } from '@gateway/testing';
import { limitKeys } from './keys';
import { createResponseCacheStore, type CacheEntryRef } from './response-cache-store';

let redis: TestRedis;
let clients: Redis[];
beforeAll(async () => {
  redis = await startRedis();
  // Several connections: writes race as they would from several workers.
  clients = Array.from({ length: 4 }, () => new Redis(redis.url));
});
afterAll(async () => {
  for (const client of clients ?? []) client.disconnect();
  await redis?.stop();
});

const storesOn = (prefix: LimitsPrefix, quotaBytes: number) => clients.map((client) => createResponseCacheStore({ redis: client, prefix, quotaBytes }));

/** An answer whose JSON is exactly `bytes` long (padded in its content). */
function answerOf(text: string, bytes: number): string {
  const result: ChatJobResult = {
    content: '',
    model: 'm',
    provider: 'mock',
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    cost_usd: 0.001,
    finish_reason: 'stop',
  };
  const bare = JSON.stringify({ ...result, content: text });
  return JSON.stringify({ ...result, content: text + 'x'.repeat(Math.max(0, bytes - bare.length)) });
}

/** What a scope's live entries really hold: their count and the sum of their lengths, read key by key. */
async function measured(prefix: LimitsPrefix, scope: string): Promise<{ entries: number; bytes: number }> {
  const client = clients[0]!;
  const members = await client.zrange(limitKeys.responseCacheIndex(prefix, scope), 0, -1);
  let bytes = 0;
  for (const member of members) bytes += await client.strlen(limitKeys.responseCacheEntry(prefix, scope, member));
  const keys = await client.keys(`${prefix}:cache:{${scope}}:*`);
  const entryKeys = keys.filter((key) => !key.endsWith(':index') && !key.endsWith(':sizes') && !key.endsWith(':inflight'));
  // No entry key outside the book, none in the book without its key.
  expect(entryKeys.length).toBe(members.length);
  return { entries: members.length, bytes };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ref = (scope: string, hash: string): CacheEntryRef => ({ scope, hash });

describe('the response cache store', () => {
  it('keeps a scope within its quota by evicting its oldest entries, never another scope’s, and counts exactly', async () => {
    const prefix = uniqueLimitsPrefix('cache-quota');
    const [store] = storesOn(prefix, 10_000);
    await store!.store(ref('key:other', 'o1'), answerOf('other', 3000), 60);
    for (let index = 0; index < 3; index += 1)
      expect(await store!.store(ref('key:a', `h${index}`), answerOf(`a${index}`, 3000), 60)).toEqual({ kept: true, evicted: 0, bytes: 3000 * (index + 1) });
    // A fourth would pass 10,000 bytes: the oldest (h0) goes first.
    expect(await store!.store(ref('key:a', 'h3'), answerOf('a3', 3000), 60)).toEqual({ kept: true, evicted: 1, bytes: 9000 });
    expect((await clients[0]!.zrange(limitKeys.responseCacheIndex(prefix, 'key:a'), 0, -1)).sort()).toEqual(['h1', 'h2', 'h3']);
    // A larger one takes two: writes past the quota never leave the scope above it.
    expect(await store!.store(ref('key:a', 'big'), answerOf('big', 5000), 60)).toEqual({ kept: true, evicted: 2, bytes: 8000 });
    expect((await clients[0]!.zrange(limitKeys.responseCacheIndex(prefix, 'key:a'), 0, -1)).sort()).toEqual(['big', 'h3']);
    expect(await store!.lookup(ref('key:a', 'h1'), 'job-x', 1000)).toEqual({ state: 'lead' });
    expect((await store!.lookup(ref('key:a', 'h3'), 'job-y', 1000)).state).toBe('hit');
    expect(await store!.usage('key:a')).toEqual({ entries: 2, bytes: 8000 });
    expect(await measured(prefix, 'key:a')).toEqual({ entries: 2, bytes: 8000 });
    // The other key's entry was never touched.
    expect(await store!.usage('key:other')).toEqual({ entries: 1, bytes: 3000 });
    expect(await store!.usage()).toEqual({ entries: 3, bytes: 11_000 });
  });

  it('counts exactly when many writes from several connections race, rewrites included', async () => {
    const prefix = uniqueLimitsPrefix('cache-race');
    const stores = storesOn(prefix, 50_000);
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        stores[index % stores.length]!.store(ref('key:race', `h${index % 60}`), answerOf(`r${index}`, 500 + (index % 7) * 300), 60),
      ),
    );
    const usage = await stores[0]!.usage('key:race');
    expect(usage.bytes).toBeLessThanOrEqual(50_000);
    expect(usage).toEqual(await measured(prefix, 'key:race'));
    expect(usage.entries).toBeGreaterThan(0);
  });

  it('drops expired entries from the book at the next write or read, without keyspace events', async () => {
    const prefix = uniqueLimitsPrefix('cache-expiry');
    const [store] = storesOn(prefix, 10_000);
    await store!.store(ref('key:e', 'old1'), answerOf('old1', 4000), 0.3);
    await store!.store(ref('key:e', 'old2'), answerOf('old2', 4000), 0.3);
    expect(await store!.usage('key:e')).toEqual({ entries: 2, bytes: 8000 });
    await sleep(450);
    // Both expired: a new 4000-byte entry fits without evicting anything, and the count is its own.
    expect(await store!.store(ref('key:e', 'new'), answerOf('new', 4000), 60)).toEqual({ kept: true, evicted: 0, bytes: 4000 });
    expect(await measured(prefix, 'key:e')).toEqual({ entries: 1, bytes: 4000 });
    await store!.store(ref('key:e', 'short'), answerOf('short', 1000), 0.3);
    await sleep(450);
    expect(await store!.usage('key:e')).toEqual({ entries: 1, bytes: 4000 });
    expect(await store!.usage()).toEqual({ entries: 1, bytes: 4000 });
  });

  it('empties one scope or all, keeping the counts right, and replaces a request’s answer once', async () => {
    const prefix = uniqueLimitsPrefix('cache-clear');
    const [store] = storesOn(prefix, 1_000_000);
    for (let index = 0; index < 1200; index += 1) await store!.store(ref('key:big', `h${index}`), answerOf(`b${index}`, 200), 60);
    await store!.store(ref('static', 's1'), answerOf('s1', 250), 60);
    await store!.store(ref('static', 's1'), answerOf('s1 again', 300), 60);
    expect(await store!.usage('static')).toEqual({ entries: 1, bytes: 300 });
    expect(await store!.clear('key:big')).toBe(1200);
    expect(await store!.usage('key:big')).toEqual({ entries: 0, bytes: 0 });
    expect(await clients[0]!.keys(`${prefix}:cache:{key:big}:*`)).toEqual([]);
    expect(await store!.usage('static')).toEqual({ entries: 1, bytes: 300 });
    await store!.store(ref('key:big', 'again'), answerOf('again', 200), 60);
    expect(await store!.usage('key:big')).toEqual({ entries: 1, bytes: 200 });
    expect(await store!.clear()).toBe(2);
    expect(await store!.usage()).toEqual({ entries: 0, bytes: 0 });
  });

  it('marks a request in flight for one job, hands it over only from a job gone, and clears it when answered or given up', async () => {
    const prefix = uniqueLimitsPrefix('cache-marks');
    const [store, other] = storesOn(prefix, 100_000);
    const entry = ref('key:m', 'q');
    expect(await store!.lookup(entry, 'job-1', 10_000)).toEqual({ state: 'lead' });
    expect(await other!.lookup(entry, 'job-2', 10_000)).toEqual({ state: 'in-flight', holder: 'job-1' });
    // The holder run again holds it still; a release by another job changes nothing.
    expect(await store!.lookup(entry, 'job-1', 10_000)).toEqual({ state: 'lead' });
    await other!.releaseMark(entry, 'job-2');
    expect(await other!.lookup(entry, 'job-2', 10_000)).toEqual({ state: 'in-flight', holder: 'job-1' });
    // Taken over from a holder known to be gone; the old holder's release then leaves the new mark.
    expect(await other!.lookup(entry, 'job-2', 10_000, 'job-1')).toEqual({ state: 'lead' });
    await store!.releaseMark(entry, 'job-1');
    expect(await store!.lookup(entry, 'job-3', 10_000)).toEqual({ state: 'in-flight', holder: 'job-2' });
    // Given up: the next asker leads at once.
    await other!.releaseMark(entry, 'job-2');
    expect(await store!.lookup(entry, 'job-3', 10_000)).toEqual({ state: 'lead' });
    // Answered: the mark goes with the write, and everyone hits.
    await store!.store(entry, answerOf('the answer', 400), 60);
    expect(await clients[0]!.exists(limitKeys.responseCacheInflight(prefix, 'key:m', 'q'))).toBe(0);
    const hit = await other!.lookup(entry, 'job-4', 10_000);
    expect(hit.state === 'hit' && hit.result.content.startsWith('the answer')).toBe(true);
  });

  it('keeps no answer larger than the quota (dropping the request’s older one), and reads a damaged entry as a miss', async () => {
    const prefix = uniqueLimitsPrefix('cache-large');
    const [store] = storesOn(prefix, 2000);
    const entry = ref('key:l', 'q');
    await store!.store(entry, answerOf('small', 1000), 60);
    await store!.lookup(entry, 'job-1', 10_000);
    expect(await store!.store(entry, answerOf('large', 3000), 60)).toEqual({ kept: false, evicted: 0, bytes: 0 });
    expect(await store!.usage('key:l')).toEqual({ entries: 0, bytes: 0 });
    expect(await store!.lookup(entry, 'job-2', 10_000)).toEqual({ state: 'lead' });
    await clients[0]!.set(limitKeys.responseCacheEntry(prefix, 'key:l', 'bad'), 'not json');
    expect(await store!.lookup(ref('key:l', 'bad'), 'job-3', 10_000)).toEqual({ state: 'lead' });
  });

  it('runs on a Redis Cluster: a scope’s keys in one slot, scopes spread over the masters, emptied everywhere', async () => {
    const cluster = await startRedisCluster(3);
    const client = new Cluster(cluster.nodes.map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })));
    try {
      const prefix = uniqueLimitsPrefix('cache-cluster');
      const store = createResponseCacheStore({ redis: client, prefix, quotaBytes: 5000 });
      const scopes = Array.from({ length: 12 }, (_, index) => `key:k${index}`);
      for (const scope of scopes) {
        for (let index = 0; index < 3; index += 1) await store.store(ref(scope, `h${index}`), answerOf(`${scope} ${index}`, 2000), 60);
        expect(await store.lookup(ref(scope, 'h2'), 'job', 1000)).toMatchObject({ state: 'hit' });
      }
      expect(await store.usage()).toEqual({ entries: 24, bytes: 48_000 });
      expect(await store.clear('key:k0')).toBe(2);
      expect(await store.clear()).toBe(22);
      expect(await store.usage()).toEqual({ entries: 0, bytes: 0 });
    } finally {
      client.disconnect();
      await cluster.stop();
    }
  });
});
