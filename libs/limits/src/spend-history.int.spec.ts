import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { createBudget } from './budget';
import { limitKeys } from './keys';
import { createSpendReader, lastUtcDays } from './spend-history';

const suite = useRedisSuite();
const dayMs = 24 * 3600 * 1000;

function ledgers() {
  let now = Date.UTC(2026, 10, 30, 12, 0, 0);
  const prefix = uniqueLimitsPrefix('history');
  const clock = () => now;
  const budget = createBudget({ redis: suite.client, prefix, dailyLimitUsd: 100, monthlyLimitUsd: 1000, reservationTtlMs: 60_000, clock });
  const reader = createSpendReader({ redis: suite.client, prefix, clock });
  let jobs = 0;
  const spend = async (costUsd: number, charge: { model: string; provider?: string; agentId?: string; keyId?: string }) => {
    jobs += 1;
    const jobId = `job-${jobs}`;
    const key = charge.keyId === undefined ? undefined : { id: charge.keyId, dailyLimitUsd: 10 };
    expect((await budget.reserve(jobId, costUsd, key)).reserved).toBe(true);
    await budget.settle(jobId, {
      costUsd,
      model: charge.model,
      provider: charge.provider ?? 'openrouter',
      agentId: charge.agentId,
      keyId: charge.keyId,
      tokens: { prompt: 10, cached: 0, completion: 5, reasoning: 0 },
    });
  };
  return { prefix, budget, reader, spend, setDay: (offsetDays: number) => (now = Date.UTC(2026, 10, 30, 12, 0, 0) + offsetDays * dayMs) };
}

describe('lastUtcDays', () => {
  it('names the days ending today, oldest first, across a month end', () => {
    expect(lastUtcDays(Date.UTC(2026, 11, 2, 23, 59), 4)).toEqual(['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
  });
});

describe('spend history', () => {
  it('gives each day by key, model, provider and agent, and sums the window in the same shape', async () => {
    const { reader, spend, setDay } = ledgers();
    setDay(-2);
    await spend(0.5, { model: 'm/a', agentId: 'bot', keyId: 'key_A' });
    setDay(0);
    await spend(0.25, { model: 'm/b', provider: 'ollama', keyId: 'key_B' });
    await spend(0.125, { model: 'm/a' });
    const history = await reader.history({ days: 3, top: 10 });
    expect(history).toMatchObject({ object: 'spend.history', key_id: null, from: '2026-11-28', to: '2026-11-30', top: 10 });
    expect(history.data.map((day) => [day.day, day.spent_usd, day.jobs])).toEqual([
      ['2026-11-28', 0.5, 1],
      ['2026-11-29', 0, 0],
      ['2026-11-30', 0.375, 2],
    ]);
    expect(history.data[2]).toMatchObject({
      by_key: { key_B: 0.25 },
      by_model: { 'm/b': 0.25, 'm/a': 0.125 },
      by_provider: { ollama: 0.25, openrouter: 0.125 },
      by_agent: { '(none)': 0.375 },
      tokens: { prompt: 20, completion: 10 },
    });
    expect(history.total).toEqual({
      spent_usd: 0.875,
      jobs: 3,
      by_key: { key_A: 0.5, key_B: 0.25 },
      by_model: { 'm/a': 0.625, 'm/b': 0.25 },
      by_provider: { openrouter: 0.625, ollama: 0.25 },
      by_agent: { bot: 0.5, '(none)': 0.375 },
      tokens: { prompt: 30, cached: 0, completion: 15, reasoning: 0 },
    });
  });

  it("reads one key's own ledger (no by_key), and keeps only the largest names, the rest as (other)", async () => {
    const { reader, spend } = ledgers();
    await spend(0.3, { model: 'm/big', keyId: 'key_A' });
    await spend(0.2, { model: 'm/mid', keyId: 'key_A' });
    await spend(0.1, { model: 'm/small', keyId: 'key_A' });
    await spend(0.05, { model: 'm/tiny', keyId: 'key_A' });
    await spend(9, { model: 'm/other-key', keyId: 'key_B' });
    const history = await reader.history({ days: 1, top: 2, keyId: 'key_A' });
    expect(history.key_id).toBe('key_A');
    expect(history.total.by_key).toBeUndefined();
    expect(history.total.spent_usd).toBe(0.65);
    expect(history.total.by_model).toEqual({ 'm/big': 0.3, 'm/mid': 0.2, '(other)': 0.15 });
    expect(history.data[0]!.by_model).toEqual({ 'm/big': 0.3, 'm/mid': 0.2, '(other)': 0.15 });
  });

  it('folds calls settled since the last fold first, so a fresh call is in the history at once', async () => {
    const { reader, spend, prefix } = ledgers();
    await spend(0.01, { model: 'm/a' });
    expect(await suite.client.llen(limitKeys.usagePending(prefix))).toBe(1);
    const history = await reader.history({ days: 1, top: 5 });
    expect(history.data[0]).toMatchObject({ jobs: 1, by_model: { 'm/a': 0.01 } });
    expect(await suite.client.llen(limitKeys.usagePending(prefix))).toBe(0);
  });

  it('caps the window at 40 days and at least one', async () => {
    const { reader } = ledgers();
    expect((await reader.history({ days: 400, top: 5 })).data).toHaveLength(40);
    expect((await reader.history({ days: 0, top: 5 })).data).toHaveLength(1);
  });
});

describe("keys' periods", () => {
  it("reads each key's settled spend and reservations against its budgets; a key without budgets has none", async () => {
    const { reader, spend, budget } = ledgers();
    await spend(0.5, { model: 'm/a', keyId: 'key_A' });
    await budget.reserve('held', 0.25, { id: 'key_A', dailyLimitUsd: 10 });
    const periods = await reader.keyPeriods([{ id: 'key_A', dailyLimitUsd: 2 }, { id: 'key_none' }]);
    expect(periods.get('key_A')).toEqual({
      day: { period: '2026-11-30', spent_usd: 0.5, in_flight_usd: 0.25, budget_usd: 2, remaining_usd: 1.25 },
      month: { period: '2026-11', spent_usd: 0.5, in_flight_usd: 0.25, budget_usd: null, remaining_usd: null },
    });
    expect(periods.get('key_none')!.day).toEqual({ period: '2026-11-30', spent_usd: 0, in_flight_usd: 0, budget_usd: null, remaining_usd: null });
  });
});
