import { uniquePrefix, useRedisSuite } from '@gateway/testing';
import { admitOnce } from './admit-once';
import { createBudget, type BudgetOptions, type KeyLedger } from './budget';
import { createRateLimiter } from './rate-limiter';

const suite = useRedisSuite();

const budget = (options: Partial<BudgetOptions> = {}) =>
  createBudget({ redis: suite.client, prefix: uniquePrefix('keys'), dailyLimitUsd: 100, monthlyLimitUsd: 1000, reservationTtlMs: 60_000, ...options });
const team: KeyLedger = { id: 'key_team', dailyLimitUsd: 0.5, monthlyLimitUsd: 5 };
const charge = (costUsd: number, keyId?: string) => ({ costUsd, agentId: 'agent', model: 'm', provider: 'openrouter', keyId });

describe('an API key’s own ledger beside the global one', () => {
  it('refuses past the key’s daily budget while the global budget has room, and says it was the key’s', async () => {
    const ledger = budget();
    expect(await ledger.reserve('a', 0.3, team)).toMatchObject({ reserved: true });
    await ledger.settle('a', charge(0.3, team.id));
    expect(await ledger.reserve('b', 0.3, team)).toEqual({
      reserved: false,
      budget: 'daily',
      key: 'key_team',
      period: expect.any(String),
      spentUsd: 0.3,
      inFlightUsd: 0,
      limitUsd: 0.5,
      estimateUsd: 0.3,
    });
    // Another key, or no key, is not held back by this key's spend.
    expect(await ledger.reserve('c', 0.3, { id: 'key_other', dailyLimitUsd: 0.5 })).toMatchObject({ reserved: true });
    expect(await ledger.reserve('d', 0.3)).toMatchObject({ reserved: true });
  });

  it('holds the global budget over every key', async () => {
    const ledger = budget({ dailyLimitUsd: 0.5 });
    expect(await ledger.reserve('a', 0.4, { id: 'k1' })).toMatchObject({ reserved: true });
    expect(await ledger.reserve('b', 0.4, { id: 'k2', dailyLimitUsd: 10 })).toMatchObject({ reserved: false, budget: 'daily' });
    expect((await ledger.reserve('b', 0.4, { id: 'k2', dailyLimitUsd: 10 })) as { key?: string }).not.toHaveProperty('key');
  });

  it('books spend and in-flight per key, releases both ledgers, and reports the key’s usage against its budgets', async () => {
    const ledger = budget();
    await ledger.reserve('a', 0.2, team);
    await ledger.reserve('b', 0.1, team);
    expect((await ledger.usage(team)).day).toMatchObject({ in_flight_usd: 0.3, budget_usd: 0.5, remaining_usd: 0.2 });
    await ledger.settle('a', charge(0.15, team.id));
    await ledger.release('b', team.id);
    const usage = await ledger.usage(team);
    expect(usage.day).toMatchObject({ spent_usd: 0.15, in_flight_usd: 0, remaining_usd: 0.35, jobs: 1, by_model: { m: 0.15 } });
    expect(usage.month).toMatchObject({ spent_usd: 0.15, budget_usd: 5 });
    expect((await ledger.usage()).day).toMatchObject({ spent_usd: 0.15, in_flight_usd: 0, by_key: { key_team: 0.15 } });
    expect((await ledger.usage({ id: 'key_free' })).day).toMatchObject({ budget_usd: null, remaining_usd: null, spent_usd: 0 });
  });

  it('200 concurrent admissions of one key cannot pass its budget: exactly as many as fit', async () => {
    const ledger = budget();
    const limiter = createRateLimiter({ redis: suite.client, prefix: uniquePrefix('rate'), ratePerSecond: 1000, burst: 1000 });
    const key = { id: 'key_burst', dailyLimitUsd: 1 };
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        admitOnce(suite.client, { rateLimiter: limiter, budget: ledger }, { agentId: `agent-${index}`, key }, `j${index}`, 0.03),
      ),
    );
    const admitted = outcomes.filter((outcome) => 'budget' in outcome && outcome.budget.reserved).length;
    expect(admitted).toBe(33);
  });

  it('the key’s rate bucket holds whatever agent_id the caller writes', async () => {
    const ledger = budget();
    const limiter = createRateLimiter({ redis: suite.client, prefix: uniquePrefix('rate'), ratePerSecond: 0.001, burst: 100 });
    const key = { id: 'key_rate', ratePerSecond: 0.001, burst: 3 };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        admitOnce(suite.client, { rateLimiter: limiter, budget: ledger }, { agentId: `fresh-${index}`, key }, `r${index}`, 0),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.rate.allowed).length).toBe(3);
  });
});

describe('reservations that learn from settled calls', () => {
  it('reserves at least what a settled call of the model cost, so a mispriced model cannot pass the budget under concurrency', async () => {
    const ledger = budget({ dailyLimitUsd: 0.05 });
    const limiter = createRateLimiter({ redis: suite.client, prefix: uniquePrefix('rate'), ratePerSecond: 1000, burst: 1000 });
    // The table prices the model at a fraction of a cent; the provider bills 0.01 a call.
    expect(await ledger.reserve('first', 0.0001, undefined, 'vendor/mispriced')).toMatchObject({ reserved: true, reservedUsd: 0.0001 });
    await ledger.settle('first', { costUsd: 0.01, agentId: undefined, model: 'vendor/mispriced', provider: 'openrouter', learnModel: 'vendor/mispriced' });
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        admitOnce(suite.client, { rateLimiter: limiter, budget: ledger }, { agentId: 'a' }, `c${index}`, 0.0001, 'vendor/mispriced'),
      ),
    );
    const admitted = outcomes.filter((outcome) => 'budget' in outcome && outcome.budget.reserved);
    // 0.04 left at 0.01 a call: four, not thirty.
    expect(admitted).toHaveLength(4);
    expect(admitted[0]).toMatchObject({ budget: { reservedUsd: 0.01 } });
    const refused = outcomes.find((outcome) => 'budget' in outcome && !outcome.budget.reserved) as { budget: { estimateUsd: number } };
    expect(refused.budget.estimateUsd).toBe(0.01);
    // Another model learned nothing (room made by releasing the admitted ones).
    await Promise.all(outcomes.map((_, index) => ledger.release(`c${index}`)));
    expect(await ledger.reserve('other', 0.0001, undefined, 'vendor/other')).toMatchObject({ reserved: true, reservedUsd: 0.0001 });
  });

  it('learns a decaying maximum, nothing from free calls, and applies it to batches too', async () => {
    const ledger = budget();
    const settle = (id: string, costUsd: number) => ledger.settle(id, { costUsd, agentId: undefined, model: 'm', provider: 'openrouter', learnModel: 'm' });
    await ledger.reserve('a', 0.001, undefined, 'm');
    await settle('a', 0.02);
    await ledger.reserve('b', 0.001, undefined, 'm');
    await settle('b', 0.001);
    await ledger.reserve('c', 0.001, undefined, 'm');
    await settle('c', 0);
    // 0.02, then max(0.001, 0.018), then unchanged by the free call.
    expect(await ledger.reserve('d', 0.001, undefined, 'm')).toMatchObject({ reservedUsd: 0.018 });
    expect(
      await ledger.reserveAll([
        { jobId: 'e', estimateUsd: 0.001, model: 'm' },
        { jobId: 'f', estimateUsd: 0.001 },
      ]),
    ).toEqual({ reserved: true });
    expect((await ledger.usage()).day.in_flight_usd).toBeCloseTo(0.018 + 0.018 + 0.001, 9);
  });
});
