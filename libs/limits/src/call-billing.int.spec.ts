import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { createBudget } from './budget';
import { startJobCall } from './job-billing';
import { limitKeys } from './keys';

/**
 * Billing per provider call: a job run twice (its lock lapsed, its worker was SIGKILLed) makes two calls, and the
 * provider bills both; each is billed once, whichever run or takeover gets to it, and a call no run settles is
 * billed at the reservation, at the next run's start or when the reservation lapses, never dropped to $0.
 */
const suite = useRedisSuite();
const now = Date.UTC(2026, 10, 5, 12, 0, 0);

function ledger(reservationTtlMs = 60_000) {
  const prefix = uniqueLimitsPrefix('calls');
  const budget = createBudget({ redis: suite.client, prefix, dailyLimitUsd: 10, monthlyLimitUsd: 100, reservationTtlMs, clock: () => now });
  return { prefix, budget };
}
const charge = (costUsd: number, keyId?: string) => ({ costUsd, agentId: 'agent', keyId, model: 'm/one', provider: 'openrouter' });
const jobOf = (id: string, call: string, keyId?: string) => ({ id, call, data: { model: 'm/one', agent_id: 'agent', key_id: keyId, reserved_usd: 0.4 } });

describe('billing per provider call', () => {
  it('bills each call of a job once: a second settle of the same call is a no-op, another call is billed too', async () => {
    const { budget } = ledger();
    await budget.reserve('job', 0.4);
    await budget.startCall('job', undefined, '1');
    expect(await budget.settle('job', charge(0.1), undefined, '1')).toEqual({ billed: true });
    expect(await budget.settle('job', charge(0.1), undefined, '1')).toEqual({ billed: false });
    // The run that took the job over made a call of its own: billed, though the job's record says settled.
    expect(await budget.startCall('job', undefined, '2')).toEqual([]);
    expect(await budget.settle('job', charge(0.2), undefined, '2')).toEqual({ billed: true });
    expect((await budget.usage()).day).toMatchObject({ spent_usd: 0.3, in_flight_usd: 0, jobs: 2 });
    // Without a call id the job is billed once, as before.
    await budget.reserve('plain', 0.1);
    expect(await budget.settle('plain', charge(0.1))).toEqual({ billed: true });
    expect(await budget.settle('plain', charge(0.1))).toEqual({ billed: false });
  });

  it('writes the outcome to keep inside the settlement (atomic with its reply), also when the call was billed already', async () => {
    const { budget, prefix } = ledger();
    const key = `${prefix}:outcome:job`;
    await budget.reserve('job', 0.4);
    const kept = { key, value: '{"state":"completed"}', seconds: 60 };
    expect(await budget.settle('job', charge(0.1), undefined, '1', undefined, kept)).toEqual({ billed: true });
    expect(await suite.client.get(key)).toBe('{"state":"completed"}');
    const ttl = await suite.client.ttl(key);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    // The same call settled again (a second completion): nothing billed, the outcome kept all the same.
    await suite.client.del(key);
    expect(await budget.settle('job', charge(0.1), undefined, '1', undefined, { ...kept, value: 'again' })).toEqual({ billed: false });
    expect(await suite.client.get(key)).toBe('again');
    // Nothing to keep: nothing written.
    expect(await budget.settle('other', charge(0.1))).toEqual({ billed: true });
    expect(await suite.client.exists(`${prefix}:outcome:other`)).toBe(0);
    expect((await budget.usage()).day).toMatchObject({ spent_usd: 0.2, jobs: 2 });
  });

  it('bills at the reservation the call of a run that died unsettled, when the job is taken over, and only once', async () => {
    const { budget } = ledger();
    await budget.reserve('job', 0.4, { id: 'key-1' });
    await budget.startCall('job', 'key-1', '1');
    // The first run is SIGKILLed; the second starts its own call and bills the first's at the reservation.
    expect(await startJobCall({ budget }, jobOf('job', '2', 'key-1'))).toEqual({ orphansBilled: 1 });
    expect(await startJobCall({ budget }, jobOf('job', '2', 'key-1'))).toEqual({ orphansBilled: 0 });
    expect((await budget.usage()).day).toMatchObject({ spent_usd: 0.4, in_flight_usd: 0 });
    expect((await budget.usage({ id: 'key-1' })).day).toMatchObject({ spent_usd: 0.4, in_flight_usd: 0 });
    // The stale first run comes back (its lock had lapsed, it was not dead) and settles what it used: already billed.
    expect(await budget.settle('job', charge(0.05, 'key-1'), undefined, '1')).toEqual({ billed: false });
    expect(await budget.settle('job', charge(0.3, 'key-1'), undefined, '2')).toEqual({ billed: true });
    expect((await budget.usage({ id: 'key-1' })).day).toMatchObject({ spent_usd: 0.7, in_flight_usd: 0 });
  });

  it('does not bill a call released as free (the upstream answered with an error) when the job is run again', async () => {
    const { budget } = ledger();
    await budget.reserve('job', 0.4);
    await budget.startCall('job', undefined, '1');
    await budget.release('job', undefined, '1');
    expect(await budget.startCall('job', undefined, '2')).toEqual([]);
  });

  it('marks a reservation as called once, however many calls and runs start (its expiry score keeps one half)', async () => {
    const { prefix, budget } = ledger();
    await budget.reserve('many', 0.4, { id: 'key-1' });
    const score = async (key: string) => Number(await suite.client.zscore(key, '400000000:many'));
    const before = await score(limitKeys.inFlightExpiry(prefix));
    for (const call of ['1', '2', '3']) await budget.startCall('many', 'key-1', call);
    expect(await score(limitKeys.inFlightExpiry(prefix))).toBe(before + 0.5);
    expect(await score(limitKeys.keyInFlightExpiry(prefix, 'key-1'))).toBe(before + 0.5);
    // A job without a reservation there (released): nothing is created.
    await budget.release('many', 'key-1');
    await budget.startCall('many', 'key-1', '4');
    expect(await suite.client.zcard(limitKeys.inFlightExpiry(prefix))).toBe(0);
  });

  it('books as spent a reservation that lapses after its job called a provider, and gives back one that never did', async () => {
    const { prefix, budget } = ledger(150);
    await budget.reserve('called', 0.4, { id: 'key-1' });
    await budget.startCall('called', 'key-1', '1');
    await budget.reserve('never-called', 0.3, { id: 'key-1' });
    // The job was given up as stalled after its worker died mid-call: nothing settles it. A reservation that fits
    // only once the lapsed ones are swept sweeps them (0.7 held + 9.5 > 10; 0.4 spent + 9.5 fits).
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await budget.reserve('big', 9.5, { id: 'key-1' })).toMatchObject({ reserved: true });
    await budget.release('big', 'key-1');
    expect((await budget.usage()).day).toMatchObject({ spent_usd: 0.4, in_flight_usd: 0 });
    expect((await budget.usage({ id: 'key-1' })).day).toMatchObject({ spent_usd: 0.4, in_flight_usd: 0 });
    // A settle arriving after the lapse (a call longer than the reservation's lifetime) is not prevented: documented.
    expect(await suite.client.zcard(limitKeys.inFlightExpiry(prefix))).toBe(0);
  });
});
