import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { createBudget, USAGE_FOLD_ENTRIES } from './budget';
import { limitKeys } from './keys';
import { usdToNano } from './money';

const suite = useRedisSuite();

/** A budget with room for everything these tests settle, on its own prefix, at the clock given. */
function roomyBudget(clock: () => number) {
  const prefix = uniqueLimitsPrefix('fold');
  return { prefix, budget: createBudget({ redis: suite.client, prefix, dailyLimitUsd: 1000, monthlyLimitUsd: 10_000, reservationTtlMs: 60_000, clock }) };
}

/** Sums as the report gives them (USD, rounded as nanoToUsd rounds). */
const usd = (nano: number) => Math.round(nano) / 1e9;

describe('usage breakdown folded from the usage list', () => {
  it('books every settled call exactly, folding at settlement in batches and before each report, across a day boundary', async () => {
    let now = Date.UTC(2026, 10, 5, 23, 0, 0);
    const { prefix, budget } = roomyBudget(() => now);
    const calls = 2 * USAGE_FOLD_ENTRIES + 22;
    const expected = {
      byDay: new Map<string, Map<string, number>>(),
      keyByModel: new Map<string, number>(),
      keyPrompt: 0,
      monthByAgent: new Map<string, number>(),
    };
    const add = (map: Map<string, number>, field: string, amount: number) => map.set(field, (map.get(field) ?? 0) + amount);
    for (let i = 0; i < calls; i++) {
      if (i === 100) now = Date.UTC(2026, 10, 6, 1, 0, 0);
      const day = i < 100 ? '2026-11-05' : '2026-11-06';
      const cost = 0.001 * ((i % 5) + 1);
      const agent = i % 2 ? 'agent-a' : 'agent-b';
      const model = i % 3 ? 'm/one' : 'm/two';
      const keyed = i % 3 === 0;
      await budget.reserve(`job-${i}`, 0.01, keyed ? { id: 'key_1' } : undefined);
      await budget.settle(`job-${i}`, {
        costUsd: cost,
        agentId: agent,
        model,
        provider: 'openrouter',
        tokens: { prompt: i, cached: 0, completion: 1, reasoning: 0 },
        ...(keyed ? { keyId: 'key_1' } : {}),
      });
      const dayMap = expected.byDay.get(day) ?? new Map<string, number>();
      expected.byDay.set(day, dayMap);
      add(dayMap, `agent:${agent}`, usdToNano(cost));
      add(dayMap, `model:${model}`, usdToNano(cost));
      add(dayMap, 'tokens:prompt', i);
      if (keyed) add(dayMap, 'key:key_1', usdToNano(cost));
      if (keyed && day === '2026-11-06') {
        add(expected.keyByModel, model, usdToNano(cost));
        expected.keyPrompt += i;
      }
      add(expected.monthByAgent, agent, usdToNano(cost));
    }
    // Settlement folded the list each time it reached its threshold: what is left is less than one batch.
    expect(await suite.client.llen(limitKeys.usagePending(prefix))).toBe(calls % USAGE_FOLD_ENTRIES);
    const report = await budget.usage();
    expect(await suite.client.llen(limitKeys.usagePending(prefix))).toBe(0);
    const today = expected.byDay.get('2026-11-06')!;
    expect(report.day.by_agent).toEqual({ 'agent-a': usd(today.get('agent:agent-a')!), 'agent-b': usd(today.get('agent:agent-b')!) });
    expect(report.day.by_model).toEqual({ 'm/one': usd(today.get('model:m/one')!), 'm/two': usd(today.get('model:m/two')!) });
    expect(report.day.tokens.prompt).toBe(today.get('tokens:prompt'));
    expect(report.day.tokens.completion).toBe(calls - 100);
    expect(report.day.by_key).toEqual({ key_1: usd(today.get('key:key_1')!) });
    expect(report.day.jobs).toBe(calls - 100);
    expect(report.month.by_agent).toEqual({ 'agent-a': usd(expected.monthByAgent.get('agent-a')!), 'agent-b': usd(expected.monthByAgent.get('agent-b')!) });
    expect(report.month.jobs).toBe(calls);
    // Yesterday's hash holds its own calls, and every day hash the fold wrote to has a lifetime.
    const yesterday = await suite.client.hgetall(limitKeys.daySpend(prefix, '2026-11-05'));
    expect(Number(yesterday['tokens:prompt'])).toBe(expected.byDay.get('2026-11-05')!.get('tokens:prompt'));
    for (const name of [
      limitKeys.daySpend(prefix, '2026-11-05'),
      limitKeys.daySpend(prefix, '2026-11-06'),
      limitKeys.keyDaySpend(prefix, 'key_1', '2026-11-06'),
    ]) {
      expect(await suite.client.ttl(name)).toBeGreaterThan(0);
    }
    const keyReport = await budget.usage({ id: 'key_1' });
    expect(keyReport.day.by_model).toEqual(Object.fromEntries([...expected.keyByModel].map(([model, nano]) => [model, usd(nano)])));
    expect(keyReport.day.tokens.prompt).toBe(expected.keyPrompt);
    expect(keyReport.day).not.toHaveProperty('by_key');
  });

  it('books concurrent settlements once each, and a report at any moment sees all of them', async () => {
    const { budget } = roomyBudget(() => Date.UTC(2026, 10, 5));
    const settle = (i: number) => budget.settle(`job-${i}`, { costUsd: 0.002, agentId: 'agent-a', model: 'm/one', provider: 'openrouter' });
    // Every job settled twice (a re-run), in parallel, with reports in between.
    const results = await Promise.all([
      ...Array.from({ length: 150 }, (_, i) => settle(i)),
      budget.usage(),
      ...Array.from({ length: 150 }, (_, i) => settle(i)),
    ]);
    expect(results.filter((result) => 'billed' in result && result.billed)).toHaveLength(150);
    const report = await budget.usage();
    expect(report.day).toMatchObject({ spent_usd: 0.3, jobs: 150, by_agent: { 'agent-a': 0.3 }, by_model: { 'm/one': 0.3 } });
  });

  it('gives day and month hashes their lifetime from the first booking, free calls first included, and counts the jobs', async () => {
    const { prefix, budget } = roomyBudget(() => Date.UTC(2026, 10, 5));
    const free = { costUsd: 0, agentId: 'agent-a', model: 'local/llama', provider: 'ollama' };
    await budget.settle('free-1', free);
    await budget.settle('free-2', free);
    for (const name of [limitKeys.daySpend(prefix, '2026-11-05'), limitKeys.monthSpend(prefix, '2026-11')])
      expect(await suite.client.ttl(name)).toBeGreaterThan(30 * 24 * 3600);
    await budget.settle('paid', { ...free, costUsd: 0.25, model: 'm/one', provider: 'openrouter' });
    const report = await budget.usage();
    expect(report.day).toMatchObject({ spent_usd: 0.25, jobs: 3, by_model: { 'local/llama': 0, 'm/one': 0.25 } });
    expect(report.month).toMatchObject({ spent_usd: 0.25, jobs: 3 });
  });

  it('gives a day hash the fold finds without a lifetime one (its calls waited past its expiry)', async () => {
    const { prefix, budget } = roomyBudget(() => Date.UTC(2026, 10, 5));
    const day = limitKeys.daySpend(prefix, '2026-11-05');
    await suite.client.rpush(limitKeys.usagePending(prefix), JSON.stringify({ d: day, c: 5, f: ['agent:x'], t: {} }));
    await budget.usage();
    expect(await suite.client.hget(day, 'agent:x')).toBe('5');
    expect(await suite.client.ttl(day)).toBeGreaterThan(30 * 24 * 3600);
  });
});
