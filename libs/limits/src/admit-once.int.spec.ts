import { Redis } from 'ioredis';
import { startRedis, uniquePrefix, type TestRedis } from '@gateway/testing';
import { admitOnce } from './admit-once';
import { createBudget } from './budget';
import { limitKeys } from './keys';
import { createRateLimiter } from './rate-limiter';

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const now = Date.UTC(2026, 10, 20, 12, 0, 0);
function parts(options: { burst?: number; dailyLimitUsd?: number } = {}) {
  const prefix = uniquePrefix('admit');
  const rateLimiter = createRateLimiter({ redis: client, prefix, ratePerSecond: 1, burst: options.burst ?? 2, clock: () => now });
  const budget = createBudget({ redis: client, prefix, dailyLimitUsd: options.dailyLimitUsd ?? 1, monthlyLimitUsd: 10, reservationTtlMs: 60_000, clock: () => now });
  return { prefix, rateLimiter, budget };
}

describe('admitOnce: rate limit and budget reservation in one script', () => {
  it('takes a token and reserves the estimate, idempotently on the job id', async () => {
    const gate = parts();
    expect(await admitOnce(client, gate, 'a', 'job-1', 0.25)).toEqual({ rate: { allowed: true, remaining: 1 }, budget: { reserved: true, alreadyReserved: false } });
    expect(await client.hget(limitKeys.inFlight(gate.prefix), 'job-1')).toBe(String(250_000_000));
    expect(await admitOnce(client, gate, 'a', 'job-1', 0.25)).toEqual({ rate: { allowed: true, remaining: 0 }, budget: { reserved: true, alreadyReserved: true } });
    expect(await client.hget(limitKeys.inFlight(gate.prefix), 'total')).toBe(String(250_000_000));
  });

  it('reserves nothing when the bucket refuses, and says when to retry', async () => {
    const gate = parts({ burst: 1 });
    await admitOnce(client, gate, 'a', 'first', 0.1);
    const refused = await admitOnce(client, gate, 'a', 'second', 0.1);
    expect(refused).toEqual({ rate: { allowed: false, remaining: 0, retryAfterMs: 1000, retryAfterSeconds: 1 } });
    expect(await client.hexists(limitKeys.inFlight(gate.prefix), 'second')).toBe(0);
    expect(await client.hget(limitKeys.inFlight(gate.prefix), 'total')).toBe(String(100_000_000));
    // Another agent has its own bucket.
    expect(await admitOnce(client, gate, 'b', 'third', 0.1)).toMatchObject({ rate: { allowed: true }, budget: { reserved: true } });
  });

  it('reports the budget that refuses, with its figures, after taking the token (as take then reserve would)', async () => {
    const gate = parts({ dailyLimitUsd: 0.15 });
    await admitOnce(client, gate, 'a', 'one', 0.1);
    expect(await admitOnce(client, gate, 'a', 'two', 0.1)).toEqual({
      rate: { allowed: true, remaining: 0 },
      budget: { reserved: false, budget: 'daily', period: '2026-11-20', spentUsd: 0, inFlightUsd: 0.1, limitUsd: 0.15, estimateUsd: 0.1 },
    });
    expect(await client.hexists(limitKeys.inFlight(gate.prefix), 'two')).toBe(0);
  });

  it('admits exactly the budget under concurrency', async () => {
    const gate = parts({ burst: 1000, dailyLimitUsd: 1 });
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, index) => admitOnce(client, gate, `agent-${index % 7}`, `c${index}`, 0.03)));
    const reserved = outcomes.filter((outcome) => 'budget' in outcome && outcome.budget.reserved).length;
    expect(reserved).toBe(33);
  });
});
