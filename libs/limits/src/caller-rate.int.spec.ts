import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { runAdmit } from './admit';
import { createBudget } from './budget';
import { limitKeys } from './keys';
import { createRateLimiter } from './rate-limiter';

const suite = useRedisSuite();

describe('the caller-wide bucket above the agents (rate-2.lua)', () => {
  const now = 5_000_000;
  const setup = () => {
    const prefix = uniqueLimitsPrefix('caller-rate');
    const rateLimiter = createRateLimiter({
      redis: suite.client,
      prefix,
      ratePerSecond: 1,
      burst: 2,
      caller: { ratePerSecond: 1, burst: 3 },
      clock: () => now,
    });
    const budget = createBudget({ redis: suite.client, prefix, dailyLimitUsd: 10, monthlyLimitUsd: 100, reservationTtlMs: 60_000, clock: () => now });
    return { prefix, rateLimiter, budget };
  };

  it('bounds rotating agent ids by the caller burst, and names the caller bucket with its Retry-After', async () => {
    const { rateLimiter } = setup();
    const decisions = [];
    for (let index = 0; index < 6; index += 1) decisions.push(await rateLimiter.take(`agent-${index}`, undefined, 1, { name: 'static' }));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false, false, false]);
    expect(decisions[3]).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1000, retryAfterSeconds: 1, bucket: 'caller' });
    // Another caller has its own bucket; a key's request has none above its own.
    expect(await rateLimiter.take('agent-9', undefined, 1, { name: 'open' })).toMatchObject({ allowed: true });
    expect(await rateLimiter.take('agent-9', { id: 'key_a' }, 1, { name: 'static' })).toMatchObject({ allowed: true });
  });

  it('takes nothing from the agent bucket when the caller bucket refuses (both or neither)', async () => {
    const { prefix, rateLimiter } = setup();
    for (let index = 0; index < 3; index += 1) await rateLimiter.take(`filler-${index}`, undefined, 1, { name: 'static' });
    expect(await rateLimiter.take('victim', undefined, 1, { name: 'static' })).toMatchObject({ allowed: false, bucket: 'caller' });
    expect(await suite.client.get(limitKeys.rateBucket(prefix, 'victim'))).toBe(`2:${now}`);
    // The agent bucket refusing first leaves the caller bucket alone.
    const other = setup();
    await other.rateLimiter.take('busy', undefined, 2, { name: 'open', tokens: 0 });
    expect(await other.rateLimiter.take('busy', undefined, 1, { name: 'open' })).toMatchObject({ allowed: false });
    expect(await suite.client.exists(limitKeys.callerRateBucket(other.prefix, 'open'))).toBe(0);
  });

  it('runs inside the one admission script: a caller refusal reserves nothing', async () => {
    const gate = setup();
    const outcomes = [];
    for (let index = 0; index < 4; index += 1) outcomes.push(await runAdmit(suite.client, gate, { agentId: `a${index}`, caller: 'open' }, `job-${index}`, 0.1));
    expect(outcomes.slice(0, 3).every((outcome) => 'budget' in outcome && outcome.budget.reserved)).toBe(true);
    expect(outcomes[3]).toEqual({ rate: { allowed: false, remaining: 0, retryAfterMs: 1000, retryAfterSeconds: 1, bucket: 'caller' } });
    expect(await suite.client.exists(limitKeys.jobBilling(gate.prefix, 'job-3'))).toBe(0);
  });

  it('takes a whole batch from the caller bucket once, leaving it in debt', async () => {
    const { rateLimiter } = setup();
    expect(await rateLimiter.take('first', undefined, 1, { name: 'static', tokens: 10 })).toMatchObject({ allowed: true });
    expect(await rateLimiter.take('fresh', undefined, 1, { name: 'static' })).toMatchObject({ allowed: false, bucket: 'caller', retryAfterMs: 8000 });
  });
});
