import { Redis } from 'ioredis';
import { uniqueLimitsPrefix, useRedisSuite, waitFor } from '@gateway/testing';
import { createBudget, type BudgetOptions } from './budget';
import { limitKeys } from './keys';

const suite = useRedisSuite();

let now = Date.UTC(2026, 10, 5, 12, 0, 0);
const budget = (options: Partial<BudgetOptions> = {}) =>
  createBudget({
    redis: suite.client,
    prefix: uniqueLimitsPrefix('budget'),
    dailyLimitUsd: 1,
    monthlyLimitUsd: 10,
    reservationTtlMs: 60_000,
    clock: () => now,
    ...options,
  });
const charge = (costUsd: number, agentId: string | null = 'agent-1', model = 'm/one') => ({
  costUsd,
  agentId: agentId ?? undefined,
  model,
  provider: 'openrouter',
});

describe('budget reservations', () => {
  it('reserves, settles to the real cost, and reports spend by agent, model and provider', async () => {
    const ledger = budget();
    expect(await ledger.reserve('job-1', 0.4)).toEqual({ reserved: true, alreadyReserved: false, reservedUsd: 0.4 });
    expect((await ledger.usage()).day).toMatchObject({ spent_usd: 0, in_flight_usd: 0.4, remaining_usd: 0.6 });
    expect(await ledger.settle('job-1', { ...charge(0.25), tokens: { prompt: 100, cached: 40, completion: 20, reasoning: 5 } })).toEqual({ billed: true });
    await ledger.reserve('job-2', 0.1);
    await ledger.settle('job-2', charge(0.05, null, 'm/two'));
    const usage = await ledger.usage();
    expect(usage.day).toEqual({
      period: '2026-11-05',
      spent_usd: 0.3,
      in_flight_usd: 0,
      budget_usd: 1,
      remaining_usd: 0.7,
      jobs: 2,
      by_agent: { 'agent-1': 0.25, '(none)': 0.05 },
      by_model: { 'm/one': 0.25, 'm/two': 0.05 },
      by_provider: { openrouter: 0.3 },
      tokens: { prompt: 100, cached: 40, completion: 20, reasoning: 5 },
    });
    expect(usage.month).toMatchObject({
      period: '2026-11',
      spent_usd: 0.3,
      budget_usd: 10,
      remaining_usd: 9.7,
      tokens: { prompt: 100, cached: 40, completion: 20, reasoning: 5 },
    });
  });

  it('reads the global budgets for the metrics: settled spend of the day and month, not reservations', async () => {
    const ledger = budget();
    expect(await ledger.globalSpend()).toEqual([
      { budget: 'daily', spentUsd: 0, limitUsd: 1 },
      { budget: 'monthly', spentUsd: 0, limitUsd: 10 },
    ]);
    await ledger.reserve('spent', 0.5);
    await ledger.settle('spent', charge(0.35));
    await ledger.reserve('held', 0.2);
    now += 24 * 3600 * 1000;
    expect(await ledger.globalSpend()).toEqual([
      { budget: 'daily', spentUsd: 0, limitUsd: 1 },
      { budget: 'monthly', spentUsd: 0.35, limitUsd: 10 },
    ]);
    now -= 24 * 3600 * 1000;
    expect((await ledger.globalSpend())[0]).toEqual({ budget: 'daily', spentUsd: 0.35, limitUsd: 1 });
  });

  it('refuses with 402 figures when spend plus in-flight plus the estimate would pass the daily budget', async () => {
    const ledger = budget();
    await ledger.reserve('a', 0.5);
    await ledger.settle('a', charge(0.5));
    await ledger.reserve('b', 0.3);
    expect(await ledger.reserve('c', 0.3)).toEqual({
      reserved: false,
      budget: 'daily',
      period: '2026-11-05',
      spentUsd: 0.5,
      inFlightUsd: 0.3,
      limitUsd: 1,
      estimateUsd: 0.3,
    });
    expect(await ledger.reserve('d', 0.2)).toMatchObject({ reserved: true });
    // Reached: even a free request is refused.
    expect(await ledger.reserve('e', 0)).toMatchObject({ reserved: false, budget: 'daily' });
  });

  it('refuses on the monthly budget when the day still has room', async () => {
    const ledger = budget({ dailyLimitUsd: 100, monthlyLimitUsd: 1 });
    await ledger.reserve('a', 0.9);
    await ledger.settle('a', charge(0.95));
    expect(await ledger.reserve('b', 0.1)).toMatchObject({ reserved: false, budget: 'monthly', period: '2026-11', spentUsd: 0.95, limitUsd: 1 });
  });

  it('bills a job once when it completes twice, is re-run, or is reserved again', async () => {
    const ledger = budget();
    await ledger.reserve('job', 0.2);
    expect(await ledger.settle('job', charge(0.1))).toEqual({ billed: true });
    expect(await ledger.settle('job', charge(0.1))).toEqual({ billed: false });
    expect(await ledger.settle('job', charge(0.7))).toEqual({ billed: false });
    expect(await ledger.reserve('job', 0.2)).toEqual({ reserved: true, alreadyReserved: true, reservedUsd: 0.2 });
    expect(await ledger.release('job')).toEqual({ releasedUsd: 0 });
    const usage = await ledger.usage();
    expect(usage.day).toMatchObject({ spent_usd: 0.1, in_flight_usd: 0, jobs: 1 });
  });

  it('bills concurrent duplicate completions once', async () => {
    const ledger = budget();
    await ledger.reserve('dup', 0.2);
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.settle('dup', charge(0.1))));
    expect(results.filter((result) => result.billed)).toHaveLength(1);
    expect((await ledger.usage()).day.spent_usd).toBe(0.1);
  });

  it('releases the reservation of a failed job; a later completion is still billed once', async () => {
    const ledger = budget();
    await ledger.reserve('f', 0.6);
    expect(await ledger.release('f')).toEqual({ releasedUsd: 0.6 });
    expect(await ledger.release('f')).toEqual({ releasedUsd: 0 });
    expect((await ledger.usage()).day).toMatchObject({ spent_usd: 0, in_flight_usd: 0 });
    expect(await ledger.settle('f', charge(0.05))).toEqual({ billed: true });
    expect(await ledger.settle('f', charge(0.05))).toEqual({ billed: false });
    expect((await ledger.usage()).day).toMatchObject({ spent_usd: 0.05, in_flight_usd: 0 });
  });

  it('lets a reservation lapse when its job never settles', async () => {
    const prefix = uniqueLimitsPrefix('budget');
    const ledger = createBudget({ redis: suite.client, prefix, dailyLimitUsd: 1, monthlyLimitUsd: 10, reservationTtlMs: 100, clock: () => now });
    await ledger.reserve('lost', 0.9);
    expect(await ledger.reserve('next', 0.2)).toMatchObject({ reserved: false });
    // The lost job's 0.9 lapses after its 100 ms lifetime: the next request then fits.
    await waitFor(async () => (await ledger.reserve('next', 0.2)).reserved, 2000, 20);
    expect(await suite.client.hget(limitKeys.inFlight(prefix), 'total')).toBe(String(200_000_000));
  });

  it('rolls over at the UTC day boundary, and the month keeps counting', async () => {
    now = Date.UTC(2026, 10, 5, 23, 59, 59, 900);
    const ledger = budget();
    await ledger.reserve('late', 0.9);
    await ledger.settle('late', charge(1));
    expect(await ledger.reserve('refused', 0.1)).toMatchObject({ reserved: false, budget: 'daily', period: '2026-11-05' });
    now = Date.UTC(2026, 10, 6, 0, 0, 0, 0);
    expect(await ledger.reserve('next-day', 0.1)).toMatchObject({ reserved: true });
    const usage = await ledger.usage();
    expect(usage.day).toMatchObject({ period: '2026-11-06', spent_usd: 0, in_flight_usd: 0.1 });
    expect(usage.month).toMatchObject({ period: '2026-11', spent_usd: 1 });
  });

  it('reports the month broken down by agent, model and provider over all its days, and keeps the breakdown per day only', async () => {
    now = Date.UTC(2026, 10, 3, 10, 0, 0);
    const prefix = uniqueLimitsPrefix('budget');
    const ledger = budget({ prefix, dailyLimitUsd: 100, monthlyLimitUsd: 100 });
    await ledger.settle('d3', charge(0.2, 'agent-1', 'm/one'));
    now = Date.UTC(2026, 10, 4, 10, 0, 0);
    await ledger.settle('d4', charge(0.3, 'agent-2', 'm/one'));
    now = Date.UTC(2026, 10, 10, 10, 0, 0);
    await ledger.settle('d10', charge(0.1, 'agent-1', 'm/two'));
    const usage = await ledger.usage();
    expect(usage.month).toEqual({
      period: '2026-11',
      spent_usd: 0.6,
      in_flight_usd: 0,
      budget_usd: 100,
      remaining_usd: 99.4,
      jobs: 3,
      by_agent: { 'agent-1': 0.3, 'agent-2': 0.3 },
      by_model: { 'm/one': 0.5, 'm/two': 0.1 },
      by_provider: { openrouter: 0.6 },
      tokens: { prompt: 0, cached: 0, completion: 0, reasoning: 0 },
    });
    expect(usage.day).toMatchObject({ period: '2026-11-10', spent_usd: 0.1, jobs: 1, by_agent: { 'agent-1': 0.1 } });
    // The month's own hash holds the totals its budget checks, not a second copy of the breakdown.
    expect(Object.keys(await suite.client.hgetall(limitKeys.monthSpend(prefix, '2026-11'))).sort()).toEqual(['total']);
    // Both hashes got their lifetime from the period's first job.
    expect(await suite.client.ttl(limitKeys.monthSpend(prefix, '2026-11'))).toBeGreaterThan(300 * 24 * 3600);
    expect(await suite.client.ttl(limitKeys.daySpend(prefix, '2026-11-03'))).toBeGreaterThan(30 * 24 * 3600);
  });

  it('publishes the reply in the settlement, once billed, and again (without billing twice) on a second settlement', async () => {
    now = Date.UTC(2026, 10, 12, 10, 0, 0);
    const ledger = budget({ dailyLimitUsd: 100, monthlyLimitUsd: 100 });
    const subscriber = new Redis(suite.redis.url);
    const received: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe('settle-reply-test');
    try {
      await ledger.reserve('r1', 0.1);
      expect(await ledger.settle('r1', charge(0.1), { channel: 'settle-reply-test', message: 'first' })).toEqual({ billed: true });
      expect(await ledger.settle('r1', charge(0.1), { channel: 'settle-reply-test', message: 'again' })).toEqual({ billed: false });
      expect(await ledger.settle('r2', charge(0.1))).toEqual({ billed: true });
      await waitFor(() => received.length >= 2, 2000, 10);
      expect(received).toEqual(['first', 'again']);
      expect((await ledger.usage()).day).toMatchObject({ spent_usd: 0.2, jobs: 2 });
    } finally {
      subscriber.disconnect();
    }
  });

  it('reserves a batch in one script: all of it, or none, naming the request and the budget that refused', async () => {
    now = Date.UTC(2026, 10, 14, 10, 0, 0);
    const prefix = uniqueLimitsPrefix('budget');
    const ledger = budget({ prefix, dailyLimitUsd: 1, monthlyLimitUsd: 10 });
    const jobs = (ids: string[], estimateUsd: number) => ids.map((jobId) => ({ jobId, estimateUsd }));
    expect(await ledger.reserveAll(jobs(['a1', 'a2', 'a3'], 0.2))).toEqual({ reserved: true });
    expect(await suite.client.hget(limitKeys.inFlight(prefix), 'total')).toBe(String(600_000_000));
    // Again with the same ids: already reserved, nothing added.
    expect(await ledger.reserveAll(jobs(['a1', 'a2', 'a3'], 0.2))).toEqual({ reserved: true });
    expect(await suite.client.hget(limitKeys.inFlight(prefix), 'total')).toBe(String(600_000_000));
    // b1 and b2 fit (0.8, then exactly 1), b3 does not: the batch is refused at its third request, b1 and b2 not kept.
    expect(await ledger.reserveAll(jobs(['b1', 'b2', 'b3'], 0.2))).toEqual({
      reserved: false,
      index: 2,
      budget: 'daily',
      period: '2026-11-14',
      spentUsd: 0,
      inFlightUsd: 1,
      limitUsd: 1,
      estimateUsd: 0.2,
    });
    expect(await suite.client.hget(limitKeys.inFlight(prefix), 'total')).toBe(String(600_000_000));
    expect(await suite.client.exists(limitKeys.jobBilling(prefix, 'b1'))).toBe(0);
    expect(await suite.client.exists(limitKeys.jobBilling(prefix, 'b2'))).toBe(0);
    expect(await ledger.reserveAll([])).toEqual({ reserved: true });
  });

  it('rolls the month over at the UTC month boundary', async () => {
    now = Date.UTC(2026, 10, 30, 23, 0, 0);
    const ledger = budget({ dailyLimitUsd: 100, monthlyLimitUsd: 1 });
    await ledger.reserve('a', 1);
    await ledger.settle('a', charge(1));
    expect(await ledger.reserve('b', 0.01)).toMatchObject({ reserved: false, budget: 'monthly' });
    now = Date.UTC(2026, 11, 1, 0, 0, 0);
    expect(await ledger.reserve('b', 0.01)).toMatchObject({ reserved: true });
    expect((await ledger.usage()).month).toMatchObject({ period: '2026-12', spent_usd: 0 });
  });
});

describe('budget overshoot under concurrency', () => {
  beforeAll(() => {
    now = Date.UTC(2026, 10, 7, 12, 0, 0);
  });

  it('never passes the budget when the real cost is at most the estimate', async () => {
    const ledger = budget({ dailyLimitUsd: 1 });
    const estimate = 0.03;
    const admitted = (
      await Promise.all(Array.from({ length: 200 }, (_, index) => ledger.reserve(`j${index}`, estimate).then((outcome) => (outcome.reserved ? index : -1))))
    ).filter((index) => index >= 0);
    expect(admitted.length).toBe(Math.floor(1 / estimate));
    await Promise.all(admitted.map((index) => ledger.settle(`j${index}`, charge(estimate * (0.5 + (index % 5) / 10)))));
    expect((await ledger.usage()).day.spent_usd).toBeLessThanOrEqual(1);
  });

  it('overshoots by at most the sum of the estimates’ shortfalls when real costs exceed them', async () => {
    const ledger = budget({ dailyLimitUsd: 1 });
    const estimate = 0.03;
    const actual = 0.036; // 20 % over the estimate
    let spent = 0;
    let admittedCount = 0;
    // Waves of 40 concurrent requests, each wave settled before the next: as in a busy gateway, until refused.
    for (let wave = 0; wave < 10; wave += 1) {
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, index) => ledger.reserve(`w${wave}-${index}`, estimate).then((outcome) => ({ id: `w${wave}-${index}`, outcome }))),
      );
      const admitted = outcomes.filter(({ outcome }) => outcome.reserved);
      admittedCount += admitted.length;
      await Promise.all(admitted.map(({ id }) => ledger.settle(id, charge(actual))));
      spent = (await ledger.usage()).day.spent_usd;
    }
    const overshoot = spent - 1;
    const bound = admittedCount * (actual - estimate);
    process.stdout.write(
      `budget overshoot: ${admittedCount} admitted, spent $${spent.toFixed(4)} of $1, overshoot $${Math.max(0, overshoot).toFixed(4)}, bound $${bound.toFixed(4)}\n`,
    );
    expect(overshoot).toBeLessThanOrEqual(bound + 1e-9);
  });
});
