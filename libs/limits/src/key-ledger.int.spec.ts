import { setTimeout as sleep } from 'node:timers/promises';
import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { runAdmit } from './admit';
import { createBudget, type BudgetOptions, type KeyLedger } from './budget';
import { limitKeys } from './keys';
import { createRateLimiter } from './rate-limiter';
import type { LimitsPrefix } from '@gateway/queue';

const suite = useRedisSuite();

const budget = (options: Partial<BudgetOptions> = {}) =>
  createBudget({ redis: suite.client, prefix: uniqueLimitsPrefix('keys'), dailyLimitUsd: 100, monthlyLimitUsd: 1000, reservationTtlMs: 60_000, ...options });
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
    const limiter = createRateLimiter({ redis: suite.client, prefix: uniqueLimitsPrefix('rate'), ratePerSecond: 1000, burst: 1000 });
    const key = { id: 'key_burst', dailyLimitUsd: 1 };
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        runAdmit(suite.client, { rateLimiter: limiter, budget: ledger }, { agentId: `agent-${index}`, key }, `j${index}`, 0.03),
      ),
    );
    const admitted = outcomes.filter((outcome) => 'budget' in outcome && outcome.budget.reserved).length;
    expect(admitted).toBe(33);
  });

  it('the key’s rate bucket holds whatever agent_id the caller writes', async () => {
    const ledger = budget();
    const limiter = createRateLimiter({ redis: suite.client, prefix: uniqueLimitsPrefix('rate'), ratePerSecond: 0.001, burst: 100 });
    const key = { id: 'key_rate', ratePerSecond: 0.001, burst: 3 };
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        runAdmit(suite.client, { rateLimiter: limiter, budget: ledger }, { agentId: `fresh-${index}`, key }, `r${index}`, 0),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.rate.allowed).length).toBe(3);
  });
});

describe('reservations that learn from settled calls', () => {
  it('reserves at least what a settled call of the model cost, so a mispriced model cannot pass the budget under concurrency', async () => {
    const ledger = budget({ dailyLimitUsd: 0.05 });
    const limiter = createRateLimiter({ redis: suite.client, prefix: uniqueLimitsPrefix('rate'), ratePerSecond: 1000, burst: 1000 });
    // The table prices the model at a fraction of a cent; the provider bills 0.01 a call.
    expect(await ledger.reserve('first', 0.0001, undefined, 'vendor/mispriced')).toMatchObject({ reserved: true, reservedUsd: 0.0001 });
    await ledger.settle('first', { costUsd: 0.01, agentId: undefined, model: 'vendor/mispriced', provider: 'openrouter', learnModel: 'vendor/mispriced' });
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        runAdmit(suite.client, { rateLimiter: limiter, budget: ledger }, { agentId: 'a' }, `c${index}`, 0.0001, 'vendor/mispriced'),
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

describe('a reservation held in its billing record, dropped once from each ledger', () => {
  /** A budget with its prefix, and what its global and key ledgers hold: `total` and expiry members. */
  function ledgers(options: Partial<BudgetOptions> = {}) {
    const prefix = uniqueLimitsPrefix('held');
    const ledger = budget({ prefix, ...options });
    const held = async (keyId?: string) => {
      const [inflight, expiry] =
        keyId === undefined
          ? [limitKeys.inFlight(prefix), limitKeys.inFlightExpiry(prefix)]
          : [limitKeys.keyInFlight(prefix, keyId), limitKeys.keyInFlightExpiry(prefix, keyId)];
      return { total: Number((await suite.client.hget(inflight, 'total')) ?? 0), members: await suite.client.zcard(expiry) };
    };
    const record = (jobId: string) => suite.client.get(limitKeys.jobBilling(prefix, jobId));
    return { prefix, ledger, held, record };
  }

  it('keeps the amount in the record and one expiry member per ledger, nothing per job in the in-flight hash', async () => {
    const { prefix, ledger, held, record } = ledgers();
    await ledger.reserve('a', 0.2, team);
    expect(await record('a')).toBe('reserved:200000000');
    expect(await suite.client.ttl(limitKeys.jobBilling(prefix, 'a'))).toBeGreaterThan(6 * 24 * 3600);
    expect(await suite.client.hgetall(limitKeys.inFlight(prefix))).toEqual({ total: '200000000' });
    expect(await suite.client.hgetall(limitKeys.keyInFlight(prefix, team.id))).toEqual({ total: '200000000' });
    expect(await held()).toEqual({ total: 200_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 200_000_000, members: 1 });
  });

  it('settles twice: drops the reservation from both ledgers and bills once', async () => {
    const { ledger, held, record } = ledgers();
    await ledger.reserve('a', 0.2, team);
    await ledger.reserve('b', 0.1, team);
    expect(await ledger.settle('a', charge(0.15, team.id))).toEqual({ billed: true });
    expect(await ledger.settle('a', charge(0.15, team.id))).toEqual({ billed: false });
    expect(await record('a')).toBe('settled');
    expect(await held()).toEqual({ total: 100_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 100_000_000, members: 1 });
    expect((await ledger.usage(team)).day).toMatchObject({ spent_usd: 0.15, jobs: 1 });
  });

  it('releases from both ledgers, once; a later settle bills the real cost without dropping anything again', async () => {
    const { ledger, held, record } = ledgers();
    await ledger.reserve('a', 0.2, team);
    await ledger.reserve('b', 0.1, team);
    expect(await ledger.release('a', team.id)).toEqual({ releasedUsd: 0.2 });
    expect(await ledger.release('a', team.id)).toEqual({ releasedUsd: 0 });
    expect(await record('a')).toBe('released');
    expect(await held()).toEqual({ total: 100_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 100_000_000, members: 1 });
    expect(await ledger.settle('a', charge(0.05, team.id))).toEqual({ billed: true });
    expect(await held()).toEqual({ total: 100_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 100_000_000, members: 1 });
    // A billed job stays billed: a release after the settle changes nothing.
    expect(await ledger.release('a', team.id)).toEqual({ releasedUsd: 0 });
    expect(await record('a')).toBe('settled');
    expect((await ledger.usage(team)).day).toMatchObject({ spent_usd: 0.05, in_flight_usd: 0.1, jobs: 1 });
  });

  it('lets a reservation lapse in the global ledger only; its settle then drops it from the key’s alone', async () => {
    const { ledger, held, record } = ledgers({ reservationTtlMs: 50, dailyLimitUsd: 0.25 });
    await ledger.reserve('lost', 0.2, team);
    await sleep(80);
    // An admission without the key, refused unless the lapsed reservation is swept, sweeps the global ledger only:
    // the key's still holds the reservation.
    expect(await ledger.reserve('anon', 0.1)).toMatchObject({ reserved: true });
    expect(await held()).toEqual({ total: 100_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 200_000_000, members: 1 });
    expect(await record('lost')).toBe('reserved:200000000');
    // Settled now: the global ledger no longer holds it (nothing taken there), the key's does.
    expect(await ledger.settle('lost', charge(0.3, team.id))).toEqual({ billed: true });
    expect(await held()).toEqual({ total: 100_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 0, members: 0 });
    expect((await ledger.usage(team)).day).toMatchObject({ spent_usd: 0.3, in_flight_usd: 0 });
  });

  it('lets a reservation lapse in both ledgers; its settle then drops nothing and bills once', async () => {
    const { ledger, held } = ledgers({ reservationTtlMs: 50, dailyLimitUsd: 0.3 });
    await ledger.reserve('lost', 0.2, team);
    await ledger.reserve('lost-too', 0.05, team);
    await sleep(80);
    // Refused beside the lapsed reservations: both ledgers are swept, and it fits.
    expect(await ledger.reserve('next', 0.1, team)).toMatchObject({ reserved: true });
    expect(await held()).toEqual({ total: 100_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 100_000_000, members: 1 });
    expect(await ledger.settle('lost', charge(0.3, team.id))).toEqual({ billed: true });
    expect(await ledger.release('lost-too', team.id)).toEqual({ releasedUsd: 0 });
    expect(await held()).toEqual({ total: 100_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 100_000_000, members: 1 });
  });

  it('reserves again a job whose reservation lapsed, and only once', async () => {
    const { ledger, held, record } = ledgers({ reservationTtlMs: 50 });
    await ledger.reserve('again', 0.2, team);
    expect(await ledger.reserve('again', 0.2, team)).toMatchObject({ reserved: true, alreadyReserved: true });
    expect(await held(team.id)).toEqual({ total: 200_000_000, members: 1 });
    await sleep(80);
    expect(await ledger.reserve('again', 0.3, team)).toEqual({ reserved: true, alreadyReserved: false, reservedUsd: 0.3 });
    expect(await record('again')).toBe('reserved:300000000');
    expect(await held()).toEqual({ total: 300_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 300_000_000, members: 1 });
    expect(await ledger.settle('again', charge(0.25, team.id))).toEqual({ billed: true });
    expect(await held()).toEqual({ total: 0, members: 0 });
    expect(await held(team.id)).toEqual({ total: 0, members: 0 });
  });

  it('reserves again a job lapsed in the global ledger whose key ledger had not swept it yet, counting it once there', async () => {
    const { prefix, ledger, held } = ledgers();
    await ledger.reserve('behind', 0.2, team);
    // As if the global sweep had taken it and the key's sweep were behind (more than 100 lapsed at once).
    await suite.client.zrem(limitKeys.inFlightExpiry(prefix), '200000000:behind');
    await suite.client.hincrby(limitKeys.inFlight(prefix), 'total', -200_000_000);
    expect(await ledger.reserve('behind', 0.2, team)).toMatchObject({ reserved: true, alreadyReserved: false });
    expect(await held()).toEqual({ total: 200_000_000, members: 1 });
    expect(await held(team.id)).toEqual({ total: 200_000_000, members: 1 });
  });

  it('reserves a free job again (it holds nothing), and bills it once', async () => {
    const { ledger, held, record } = ledgers();
    expect(await ledger.reserve('free', 0, team)).toEqual({ reserved: true, alreadyReserved: false, reservedUsd: 0 });
    expect(await record('free')).toBe('reserved:0');
    expect(await ledger.reserve('free', 0, team)).toEqual({ reserved: true, alreadyReserved: false, reservedUsd: 0 });
    expect(await held()).toEqual({ total: 0, members: 0 });
    expect(await ledger.settle('free', charge(0, team.id))).toEqual({ billed: true });
    expect(await ledger.settle('free', charge(0, team.id))).toEqual({ billed: false });
    expect(await ledger.reserve('free', 0, team)).toMatchObject({ reserved: true, alreadyReserved: true });
  });

  it('batches: every record written, or none', async () => {
    const { ledger, held, record } = ledgers({ dailyLimitUsd: 1 });
    const jobs = (ids: string[], estimateUsd: number) => ids.map((jobId) => ({ jobId, estimateUsd }));
    const open = { id: team.id };
    expect(await ledger.reserveAll(jobs(['a1', 'a2'], 0.3), open)).toEqual({ reserved: true });
    expect([await record('a1'), await record('a2')]).toEqual(['reserved:300000000', 'reserved:300000000']);
    expect(await ledger.reserveAll(jobs(['b1', 'b2'], 0.3), open)).toMatchObject({ reserved: false, index: 1 });
    expect([await record('b1'), await record('b2')]).toEqual([null, null]);
    expect(await held()).toEqual({ total: 600_000_000, members: 2 });
    expect(await held(team.id)).toEqual({ total: 600_000_000, members: 2 });
  });

  describe('a reservation made before records held amounts (a per-job field in the in-flight hash)', () => {
    /** Writes `jobId`'s reservation as the previous layout did, in both ledgers: field, `total`, bare expiry member. */
    async function oldReservation(prefix: LimitsPrefix, jobId: string, nano: number, lapseAt: number) {
      for (const [inflight, expiry] of [
        [limitKeys.inFlight(prefix), limitKeys.inFlightExpiry(prefix)],
        [limitKeys.keyInFlight(prefix, team.id), limitKeys.keyInFlightExpiry(prefix, team.id)],
      ] as const) {
        await suite.client.hset(inflight, jobId, nano);
        await suite.client.hincrby(inflight, 'total', nano);
        await suite.client.zadd(expiry, lapseAt, jobId);
      }
    }
    const later = () => Date.now() + 60_000;

    it('is dropped by its settle, from both ledgers, once', async () => {
      const { prefix, ledger, held } = ledgers();
      await ledger.reserve('new', 0.1, team);
      await oldReservation(prefix, 'old', 200_000_000, later());
      expect(await held(team.id)).toEqual({ total: 300_000_000, members: 2 });
      expect(await ledger.settle('old', charge(0.15, team.id))).toEqual({ billed: true });
      expect(await ledger.settle('old', charge(0.15, team.id))).toEqual({ billed: false });
      expect(await held()).toEqual({ total: 100_000_000, members: 1 });
      expect(await held(team.id)).toEqual({ total: 100_000_000, members: 1 });
      expect(await suite.client.hexists(limitKeys.inFlight(prefix), 'old')).toBe(0);
      expect(await suite.client.hexists(limitKeys.keyInFlight(prefix, team.id), 'old')).toBe(0);
    });

    it('is dropped by its release, then a settle bills it and drops nothing', async () => {
      const { prefix, ledger, held } = ledgers();
      await oldReservation(prefix, 'old', 200_000_000, later());
      expect(await ledger.release('old', team.id)).toEqual({ releasedUsd: 0.2 });
      expect(await held()).toEqual({ total: 0, members: 0 });
      expect(await held(team.id)).toEqual({ total: 0, members: 0 });
      expect(await ledger.settle('old', charge(0.15, team.id))).toEqual({ billed: true });
      expect(await held()).toEqual({ total: 0, members: 0 });
      expect(await held(team.id)).toEqual({ total: 0, members: 0 });
    });

    it('lapses, in each ledger its sweep reaches; a settle after it drops nothing', async () => {
      const { prefix, ledger, held } = ledgers({ dailyLimitUsd: 0.25 });
      await oldReservation(prefix, 'old', 200_000_000, Date.now() - 1000);
      expect(await ledger.reserve('new', 0.1, team)).toMatchObject({ reserved: true });
      expect(await held()).toEqual({ total: 100_000_000, members: 1 });
      expect(await held(team.id)).toEqual({ total: 100_000_000, members: 1 });
      expect(await suite.client.hexists(limitKeys.inFlight(prefix), 'old')).toBe(0);
      expect(await ledger.settle('old', charge(0.15, team.id))).toEqual({ billed: true });
      expect(await held()).toEqual({ total: 100_000_000, members: 1 });
      expect(await held(team.id)).toEqual({ total: 100_000_000, members: 1 });
    });
  });
});
