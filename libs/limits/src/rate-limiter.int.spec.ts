import { Redis } from 'ioredis';
import { uniqueLimitsPrefix, useRedisSuite, waitFor } from '@gateway/testing';
import { createRateLimiter, retryAfterSeconds } from './rate-limiter';
import { createProviderPacer } from './provider-pacer';
import { limitKeys } from './keys';
import type { LimitsPrefix } from '@gateway/queue';

const suite = useRedisSuite();

describe('token bucket in Redis (injected clock)', () => {
  let now = 1_000_000;
  const limiter = () => createRateLimiter({ redis: suite.client, prefix: uniqueLimitsPrefix('rate'), ratePerSecond: 2, burst: 3, clock: () => now });

  it('allows the burst, then refuses with the time until the next token', async () => {
    const rate = limiter();
    for (let index = 0; index < 3; index += 1) expect(await rate.take('a')).toMatchObject({ allowed: true, remaining: 2 - index });
    expect(await rate.take('a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500, retryAfterSeconds: 1 });
    now += 200;
    expect(await rate.take('a')).toMatchObject({ allowed: false, retryAfterMs: 300 });
    now += 300;
    expect(await rate.take('a')).toMatchObject({ allowed: true });
    expect(await rate.take('a')).toMatchObject({ allowed: false, retryAfterMs: 500 });
  });

  it('refills over time up to the burst, never beyond', async () => {
    const rate = limiter();
    for (let index = 0; index < 3; index += 1) await rate.take('b');
    now += 60_000;
    const results = [];
    for (let index = 0; index < 5; index += 1) results.push((await rate.take('b')).allowed);
    expect(results).toEqual([true, true, true, false, false]);
  });

  it('keeps one bucket per agent, and one shared by requests without an agent', async () => {
    const rate = limiter();
    for (let index = 0; index < 3; index += 1) await rate.take('c');
    expect((await rate.take('c')).allowed).toBe(false);
    expect((await rate.take('d')).allowed).toBe(true);
    for (let index = 0; index < 3; index += 1) expect((await rate.take(undefined)).allowed).toBe(true);
    expect((await rate.take(undefined)).allowed).toBe(false);
  });

  it('does not refill when a clock goes backwards', async () => {
    const rate = limiter();
    for (let index = 0; index < 3; index += 1) await rate.take('e');
    now -= 10_000;
    expect((await rate.take('e')).allowed).toBe(false);
    now += 10_000;
  });

  it('never lets more than the burst through under concurrency', async () => {
    const rate = limiter();
    const results = await Promise.all(Array.from({ length: 50 }, () => rate.take('f')));
    expect(results.filter((result) => result.allowed)).toHaveLength(3);
  });

  it('keeps a bucket as one string; a key of another type reads as a full bucket, then is rewritten', async () => {
    const prefix = uniqueLimitsPrefix('rate');
    const rate = createRateLimiter({ redis: suite.client, prefix, ratePerSecond: 2, burst: 3, clock: () => now });
    await rate.take('h');
    expect(await suite.client.get(limitKeys.rateBucket(prefix, 'h'))).toBe(`2:${now}`);
    // The hash layout of versions before the string one (its buckets lived only until refilled): no longer read.
    const old = limitKeys.rateBucket(prefix, 'old');
    await suite.client.hset(old, 'tokens', '1', 'at', String(now));
    expect(await rate.take('old')).toMatchObject({ allowed: true, remaining: 2 });
    expect(await suite.client.get(old)).toBe(`2:${now}`);
  });

  it('expires idle buckets', async () => {
    const prefix = uniqueLimitsPrefix('rate');
    await createRateLimiter({ redis: suite.client, prefix, ratePerSecond: 2, burst: 3, clock: () => now }).take('g');
    const ttl = await suite.client.pttl(limitKeys.rateBucket(prefix, 'g'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2500);
  });

  it('takes as many tokens as a batch holds', async () => {
    const rate = limiter();
    expect(await rate.take('h', undefined, 2)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await rate.take('h', undefined, 2)).toEqual({ allowed: false, remaining: 1, retryAfterMs: 500, retryAfterSeconds: 1 });
    expect(await rate.take('h', undefined, 1)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('admits a batch larger than the burst only from a full bucket, and leaves the bucket in debt for its whole size', async () => {
    const rate = limiter();
    await rate.take('i');
    // Not full (2 of 3): a batch of 10 waits until the bucket is full again (1 token at 2/s).
    expect(await rate.take('i', undefined, 10)).toMatchObject({ allowed: false, retryAfterMs: 500 });
    now += 500;
    expect(await rate.take('i', undefined, 10)).toMatchObject({ allowed: true, remaining: -7 });
    // 10 tokens taken, not 3: the next request waits for 8 tokens (7 of debt + 1) at 2/s.
    expect(await rate.take('i')).toMatchObject({ allowed: false, retryAfterMs: 4000 });
    now += 3999;
    expect((await rate.take('i')).allowed).toBe(false);
    now += 1;
    expect((await rate.take('i')).allowed).toBe(true);
  });

  it('keeps a bucket in debt until it would be full again', async () => {
    const prefix = uniqueLimitsPrefix('rate');
    await createRateLimiter({ redis: suite.client, prefix, ratePerSecond: 2, burst: 3, clock: () => now }).take('j', undefined, 11);
    const ttl = await suite.client.pttl(limitKeys.rateBucket(prefix, 'j'));
    // -8 tokens: 11 to refill at 2/s is 5.5 s (+1 s of margin).
    expect(ttl).toBeGreaterThan(6000);
    expect(ttl).toBeLessThanOrEqual(6500);
  });

  it('lets exactly one of many concurrent oversized batches through, across clients', async () => {
    const prefix = uniqueLimitsPrefix('rate');
    const second = new Redis(suite.redis.url);
    const limiters = [suite.client, second].map((connection) => createRateLimiter({ redis: connection, prefix, ratePerSecond: 2, burst: 3, clock: () => now }));
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => limiters[index % 2]!.take('k', undefined, 5)));
    await second.quit();
    expect(results.filter((result) => result.allowed)).toHaveLength(1);
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(0)).toBe(1);
  });
});

describe('token bucket on the Redis server clock', () => {
  it('refills in real time', async () => {
    const rate = createRateLimiter({ redis: suite.client, prefix: uniqueLimitsPrefix('rate'), ratePerSecond: 10, burst: 1 });
    expect((await rate.take('a')).allowed).toBe(true);
    const refused = await rate.take('a');
    expect(refused.allowed).toBe(false);
    expect(refused.allowed === false && refused.retryAfterMs).toBeLessThanOrEqual(100);
    // 10 tokens a second: one is back well within half a second.
    await waitFor(async () => (await rate.take('a')).allowed, 500, 20);
  });
});

describe('provider pacer', () => {
  let now = 5_000_000;
  it('spreads calls at rpm/60 per second, shared by every pacer on the same Redis', async () => {
    const prefix = uniqueLimitsPrefix('pace');
    const pacers = [1, 2].map(() => createProviderPacer({ redis: suite.client, prefix, rpm: { openrouter: 120 }, clock: () => now }));
    // A burst of 2 plus the interactive reserve (a quarter of it): interactive calls may take 2.5 tokens.
    expect(await pacers[0]!.acquire('openrouter')).toEqual({ go: true });
    expect(await pacers[1]!.acquire('openrouter')).toEqual({ go: true });
    expect(await pacers[1]!.acquire('openrouter')).toEqual({ go: false, waitMs: 250, reason: 'rate' });
    expect(await pacers[0]!.acquire('ollama')).toEqual({ go: true });
    now += 250;
    expect(await pacers[0]!.acquire('openrouter')).toEqual({ go: true });
    expect(await pacers[0]!.acquire('openrouter')).toEqual({ go: false, waitMs: 500, reason: 'rate' });
  });

  it('keeps the reserve for interactive calls: job and batch calls leave it, and wait longer for it', async () => {
    const prefix = uniqueLimitsPrefix('pace-lanes');
    const pacer = createProviderPacer({ redis: suite.client, prefix, rpm: { openrouter: 120 }, interactiveReserve: 0.25, clock: () => now });
    expect(await pacer.acquire('openrouter', 'batch')).toEqual({ go: true });
    expect(await pacer.acquire('openrouter', 'job')).toEqual({ go: true });
    // 0.5 tokens left: the reserve. A batch call needs 1.5, an interactive one 1.
    expect(await pacer.acquire('openrouter', 'batch')).toEqual({ go: false, waitMs: 500, reason: 'rate' });
    expect(await pacer.acquire('openrouter', 'interactive')).toEqual({ go: false, waitMs: 250, reason: 'rate' });
    now += 250;
    expect(await pacer.acquire('openrouter', 'batch')).toEqual({ go: false, waitMs: 250, reason: 'rate' });
    expect(await pacer.acquire('openrouter', 'interactive')).toEqual({ go: true });
  });

  it('lets lower lanes try again later than interactive calls after a pause', async () => {
    const prefix = uniqueLimitsPrefix('pace-gap');
    const pacer = createProviderPacer({ redis: suite.client, prefix, rpm: {} });
    await pacer.pause('openrouter', 2000);
    const [interactive, batch] = [await pacer.acquire('openrouter', 'interactive'), await pacer.acquire('openrouter', 'batch')];
    expect(interactive.go === false && batch.go === false && batch.waitMs - interactive.waitMs).toBeGreaterThanOrEqual(400);
  });

  it('pauses a provider after a 429 for every pacer, keeping the longer pause', async () => {
    const prefix = uniqueLimitsPrefix('pace');
    const [first, second] = [1, 2].map(() => createProviderPacer({ redis: suite.client, prefix, rpm: {} }));
    await first!.pause('openrouter', 2000);
    await first!.pause('openrouter', 10);
    const decision = await second!.acquire('openrouter');
    expect(decision).toMatchObject({ go: false, reason: 'paused' });
    expect(decision.go === false && decision.waitMs).toBeGreaterThan(1500);
    expect(await second!.acquire('mock')).toEqual({ go: true });
  });

  it('caps a pause at maxPauseMs, whatever Retry-After asked', async () => {
    const prefix = uniqueLimitsPrefix('pace-cap');
    const pacer = createProviderPacer({ redis: suite.client, prefix, rpm: {}, maxPauseMs: 1000 });
    await pacer.pause('openrouter', 86_400_000);
    const decision = await pacer.acquire('openrouter');
    expect(decision).toMatchObject({ go: false, reason: 'paused' });
    expect(decision.go === false && decision.waitMs).toBeLessThanOrEqual(1000);
  });

  describe('watching the pause channel', () => {
    const subscribers: Redis[] = [];
    afterAll(() => subscribers.forEach((subscriber) => subscriber.disconnect()));
    const watcher = async (prefix: LimitsPrefix, command: Redis = suite.client) => {
      const subscriber = new Redis(suite.redis.url);
      subscribers.push(subscriber);
      const pacer = createProviderPacer({ redis: command, prefix, rpm: { ollama: 600 } });
      await pacer.watchPauses(subscriber);
      return { pacer, subscriber };
    };
    const scriptCalls = async () => Number((await suite.client.info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0);

    it('learns of another pacer’s pause at once, and answers for providers without rpm while Redis is unreachable', async () => {
      const prefix = uniqueLimitsPrefix('pace');
      const command = new Redis(suite.redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
      command.on('error', () => undefined);
      await new Promise((resolve) => command.once('ready', resolve));
      const { pacer } = await watcher(prefix, command);
      // A provider with an rpm takes from the shared bucket in Redis.
      expect(await pacer.acquire('ollama')).toEqual({ go: true });
      command.disconnect();
      await expect(pacer.acquire('ollama')).rejects.toThrow();
      // One without an rpm is answered from what the watch knows.
      for (let index = 0; index < 20; index += 1) expect(await pacer.acquire('openrouter')).toEqual({ go: true });

      const other = createProviderPacer({ redis: suite.client, prefix, rpm: {} });
      await other.pause('openrouter', 1500);
      const decision = await waitFor(
        async () => {
          const seen = await pacer.acquire('openrouter');
          return seen.go ? undefined : seen;
        },
        2000,
        10,
      );
      expect(decision).toMatchObject({ go: false, reason: 'paused' });
      expect(decision.go === false && decision.waitMs).toBeGreaterThan(1000);
      expect(await pacer.acquire('mock')).toEqual({ go: true });
    });

    it('ignores malformed announcements', async () => {
      const prefix = uniqueLimitsPrefix('pace');
      const { pacer } = await watcher(prefix);
      for (const payload of ['', 'nope', '{"provider":"nobody","ms":1000}', '{"provider":"openrouter","ms":-5}', '{"provider":"openrouter"}']) {
        await suite.client.publish(limitKeys.providerPauseChannel(prefix), payload);
      }
      // Messages on one channel arrive in order: once a valid pause after them is known, they were all read.
      await suite.client.publish(limitKeys.providerPauseChannel(prefix), JSON.stringify({ provider: 'anthropic', ms: 60_000 }));
      await waitFor(async () => (await pacer.acquire('anthropic')).go === false, 2000, 10);
      expect(await pacer.acquire('openrouter')).toEqual({ go: true });
    });

    it('reads back the pauses it missed while its connection was down, and asks Redis until then', async () => {
      const prefix = uniqueLimitsPrefix('pace');
      const { pacer, subscriber } = await watcher(prefix);
      // Set without an announcement (as if published while the connection was down): only a read-back knows it.
      await suite.client.set(limitKeys.providerPause(prefix, 'openrouter'), '1', 'PX', 3000);
      const closed = new Promise((resolve) => subscriber.once('close', resolve));
      const reconnected = new Promise((resolve) => subscriber.once('ready', resolve));
      subscriber.disconnect(true);
      await closed;
      expect(await pacer.acquire('openrouter')).toMatchObject({ go: false, reason: 'paused' });
      await reconnected;
      // Current again once read back: answered without a script.
      await waitFor(
        async () => {
          const before = await scriptCalls();
          const decision = await pacer.acquire('openrouter');
          return decision.go === false && decision.reason === 'paused' && (await scriptCalls()) === before;
        },
        2000,
        20,
      );
    });
  });
});
