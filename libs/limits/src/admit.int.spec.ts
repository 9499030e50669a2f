import { Queue } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { runAdmit, runAdmitAndAdd, runAdmitAndAddIdempotent } from './admit';
import { createBudget } from './budget';
import { limitKeys } from './keys';
import { createRateLimiter } from './rate-limiter';

const suite = useRedisSuite();
const queues: Queue[] = [];
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
});

const now = Date.UTC(2026, 10, 20, 12, 0, 0);
function parts(options: { burst?: number; dailyLimitUsd?: number; reservationTtlMs?: number } = {}) {
  const prefix = uniqueLimitsPrefix('admit');
  const rateLimiter = createRateLimiter({ redis: suite.client, prefix, ratePerSecond: 1, burst: options.burst ?? 2, clock: () => now });
  const budget = createBudget({
    redis: suite.client,
    prefix,
    dailyLimitUsd: options.dailyLimitUsd ?? 1,
    monthlyLimitUsd: 10,
    reservationTtlMs: options.reservationTtlMs ?? 60_000,
    clock: () => now,
  });
  return { prefix, rateLimiter, budget };
}

describe('runAdmit: rate limit and budget reservation in one script', () => {
  it('takes a token and reserves the estimate, idempotently on the job id', async () => {
    const gate = parts();
    expect(await runAdmit(suite.client, gate, { agentId: 'a' }, 'job-1', 0.25)).toEqual({
      rate: { allowed: true, remaining: 1 },
      budget: { reserved: true, alreadyReserved: false, reservedUsd: 0.25 },
    });
    expect(await suite.client.get(limitKeys.jobBilling(gate.prefix, 'job-1'))).toBe('reserved:250000000');
    expect(await runAdmit(suite.client, gate, { agentId: 'a' }, 'job-1', 0.25)).toEqual({
      rate: { allowed: true, remaining: 0 },
      budget: { reserved: true, alreadyReserved: true, reservedUsd: 0.25 },
    });
    expect(await suite.client.hget(limitKeys.inFlight(gate.prefix), 'total')).toBe(String(250_000_000));
  });

  it('reserves nothing when the bucket refuses, and says when to retry', async () => {
    const gate = parts({ burst: 1 });
    await runAdmit(suite.client, gate, { agentId: 'a' }, 'first', 0.1);
    const refused = await runAdmit(suite.client, gate, { agentId: 'a' }, 'second', 0.1);
    expect(refused).toEqual({ rate: { allowed: false, remaining: 0, retryAfterMs: 1000, retryAfterSeconds: 1 } });
    expect(await suite.client.exists(limitKeys.jobBilling(gate.prefix, 'second'))).toBe(0);
    expect(await suite.client.hget(limitKeys.inFlight(gate.prefix), 'total')).toBe(String(100_000_000));
    // Another agent has its own bucket.
    expect(await runAdmit(suite.client, gate, { agentId: 'b' }, 'third', 0.1)).toMatchObject({ rate: { allowed: true }, budget: { reserved: true } });
  });

  it('reports the budget that refuses, with its figures, after taking the token (as take then reserve would)', async () => {
    const gate = parts({ dailyLimitUsd: 0.15 });
    await runAdmit(suite.client, gate, { agentId: 'a' }, 'one', 0.1);
    expect(await runAdmit(suite.client, gate, { agentId: 'a' }, 'two', 0.1)).toEqual({
      rate: { allowed: true, remaining: 0 },
      budget: { reserved: false, budget: 'daily', period: '2026-11-20', spentUsd: 0, inFlightUsd: 0.1, limitUsd: 0.15, estimateUsd: 0.1 },
    });
    expect(await suite.client.exists(limitKeys.jobBilling(gate.prefix, 'two'))).toBe(0);
  });

  it('admits exactly the budget under concurrency', async () => {
    const gate = parts({ burst: 1000, dailyLimitUsd: 1 });
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, index) => runAdmit(suite.client, gate, { agentId: `agent-${index % 7}` }, `c${index}`, 0.03)),
    );
    const reserved = outcomes.filter((outcome) => 'budget' in outcome && outcome.budget.reserved).length;
    expect(reserved).toBe(33);
  });
});

/** The limits of `parts`, and a chat queue under the same prefix. */
function setup(options: { burst?: number; dailyLimitUsd?: number; reservationTtlMs?: number } = {}) {
  const { prefix, ...limits } = parts(options);
  const queue = new Queue<{ n: number }>('chat', { connection: { host: '127.0.0.1', port: Number(new URL(suite.redis.url).port) }, prefix });
  queues.push(queue);
  return { prefix, parts: limits, queue };
}
const job = (jobId: string, n = 1) => ({ name: 'chat', data: { n }, opts: { jobId } });

describe('admitAndAdd: admission and enqueue in one script', () => {
  it('adds the admitted job (waiting, its data intact) and reserves its estimate', async () => {
    const { prefix, parts, queue } = setup();
    const { outcome, addError } = await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.25, job('job-1', 7));
    expect(addError).toBeUndefined();
    expect(outcome).toEqual({ rate: { allowed: true, remaining: 1 }, budget: { reserved: true, alreadyReserved: false, reservedUsd: 0.25 } });
    expect(await queue.getJobState('job-1')).toBe('waiting');
    expect((await queue.getJob('job-1'))?.data).toEqual({ n: 7 });
    expect(await suite.client.get(limitKeys.jobBilling(prefix, 'job-1'))).toBe('reserved:250000000');
  });

  it('adds a prioritized job too', async () => {
    const { queue, parts } = setup();
    await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, { ...job('p-1'), opts: { jobId: 'p-1', priority: 3 } });
    expect(await queue.getJobState('p-1')).toBe('prioritized');
  });

  it('adds nothing, and leaves no key behind, when the rate limit refuses', async () => {
    const { prefix, parts, queue } = setup({ burst: 1 });
    await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('first'));
    const { outcome } = await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('second'));
    expect(outcome).toEqual({ rate: { allowed: false, remaining: 0, retryAfterMs: 1000, retryAfterSeconds: 1 } });
    expect(await suite.client.exists(queue.toKey('second'))).toBe(0);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    expect(await suite.client.exists(limitKeys.jobBilling(prefix, 'second'))).toBe(0);
  });

  it('adds nothing when the budget refuses', async () => {
    const { parts, queue } = setup({ dailyLimitUsd: 0.15 });
    await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('one'));
    const { outcome } = await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('two'));
    expect(outcome).toMatchObject({ rate: { allowed: true }, budget: { reserved: false, budget: 'daily' } });
    expect(await suite.client.exists(queue.toKey('two'))).toBe(0);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('runs the script again from its source when Redis lost it (SCRIPT FLUSH): never adds a job unadmitted', async () => {
    const { queue, parts } = setup({ burst: 1 });
    await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('before'));
    await suite.client.script('FLUSH');
    // The bucket is empty: had the add gone through without the script, this job would be waiting.
    const { outcome } = await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('after-flush'));
    expect(outcome).toMatchObject({ rate: { allowed: false } });
    expect(await suite.client.exists(queue.toKey('after-flush'))).toBe(0);
    await suite.client.script('FLUSH');
    const after = await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'b' }, 0.1, job('admitted-after-flush'));
    expect(after.outcome).toMatchObject({ rate: { allowed: true }, budget: { reserved: true } });
    expect(after.addError).toBeUndefined();
    expect(await queue.getJobState('admitted-after-flush')).toBe('waiting');
    // And the connection goes on working in one round trip.
    expect((await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'c' }, 0.1, job('next'))).addError).toBeUndefined();
    expect(await queue.getJobState('next')).toBe('waiting');
  });

  it('never replaces or removes a job that already has the id', async () => {
    const { queue, parts } = setup();
    await queue.add('chat', { n: 1 }, { jobId: 'same' });
    await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('same', 2));
    expect((await queue.getJob('same'))?.data).toEqual({ n: 1 });
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('admits exactly the budget under concurrency, and adds exactly the admitted jobs', async () => {
    const { queue, parts } = setup({ burst: 1000, dailyLimitUsd: 1 });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) => runAdmitAndAdd(suite.client, queue, parts, { agentId: `agent-${index % 7}` }, 0.03, job(`c${index}`))),
    );
    const admitted = results.filter(({ outcome }) => 'budget' in outcome && outcome.budget.reserved).length;
    expect(admitted).toBe(33);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 33 });
    const keys = await suite.client.keys(`${queue.toKey('')}c*`);
    expect(keys).toHaveLength(33);
  });

  it('fails as a whole when Redis is unreachable', async () => {
    const { parts, queue } = setup();
    const down = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, lazyConnect: true });
    down.on('error', () => undefined);
    await expect(runAdmitAndAdd(down, queue, parts, { agentId: 'a' }, 0.1, job('x'))).rejects.toThrow();
    down.disconnect();
  });

  it('adds the job exactly as queue.add would (same fields, options and defaults)', async () => {
    const { parts, prefix } = setup();
    const queue = new Queue<{ n: number }>('chat', {
      connection: { host: '127.0.0.1', port: Number(new URL(suite.redis.url).port) },
      prefix,
      defaultJobOptions: { removeOnFail: { age: 600 }, attempts: 1 },
    });
    queues.push(queue);
    const options = { removeOnComplete: { age: 60 }, priority: 2 };
    await queue.add('chat', { n: 5 }, { jobId: 'plain', ...options });
    await runAdmitAndAdd(suite.client, queue, parts, { agentId: 'a' }, 0.1, { name: 'chat', data: { n: 5 }, opts: { jobId: 'gated', ...options } });
    const [plain, gated] = await Promise.all([suite.client.hgetall(queue.toKey('plain')), suite.client.hgetall(queue.toKey('gated'))]);
    expect(gated['opts']).toContain('"removeOnFail":{"age":600}');
    const comparable = (fields: Record<string, string>) => ({ ...fields, timestamp: 't', opts: fields['opts']?.replace(/"jobId":"[a-z]+"/, '"jobId":"id"') });
    expect(comparable(gated)).toEqual(comparable(plain));
  });
});

describe('admitAndAddIdempotent: a job whose id an Idempotency-Key named', () => {
  it('of concurrent duplicates admits and adds one; the others take no rate token and reserve nothing', async () => {
    const { prefix, queue, parts } = setup({ burst: 5 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, index) => runAdmitAndAddIdempotent(suite.client, queue, parts, { agentId: 'a' }, 0.25, job('keyed', index))),
    );
    expect(outcomes.filter((outcome) => 'outcome' in outcome)).toHaveLength(1);
    expect(outcomes.filter((outcome) => 'duplicate' in outcome)).toHaveLength(19);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    expect(await suite.client.hget(limitKeys.inFlight(prefix), 'total')).toBe(String(250_000_000));
    // One token of the 5 was taken: four more distinct jobs pass, the fifth is refused.
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, index) => runAdmitAndAddIdempotent(suite.client, queue, parts, { agentId: 'a' }, 0, job(`other-${index}`))),
    );
    expect(others.map((outcome) => 'outcome' in outcome && 'budget' in outcome.outcome)).toEqual([true, true, true, true, false]);
  });

  it('says spent for a job billed and no longer kept, and runs again one that was released before it ran', async () => {
    const { prefix, queue, parts } = setup();
    await suite.client.set(limitKeys.jobBilling(prefix, 'billed'), 'settled');
    expect(await runAdmitAndAddIdempotent(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('billed'))).toEqual({ spent: true });
    expect(await queue.getJob('billed')).toBeUndefined();

    await suite.client.set(limitKeys.jobBilling(prefix, 'dropped'), 'released');
    const again = await runAdmitAndAddIdempotent(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('dropped'));
    expect(again).toMatchObject({ outcome: { budget: { reserved: true, alreadyReserved: false } } });
    expect(await queue.getJobState('dropped')).toBe('waiting');
    expect(await suite.client.get(limitKeys.jobBilling(prefix, 'dropped'))).toBe('reserved:100000000');
  });

  it('adds on the reservation still held a job removed without a release (its record says reserved), counting it once', async () => {
    const { prefix, queue, parts } = setup();
    const key = { id: 'key_crash' };
    const total = async () => [
      await suite.client.hget(limitKeys.inFlight(prefix), 'total'),
      await suite.client.hget(limitKeys.keyInFlight(prefix, key.id), 'total'),
    ];
    await runAdmitAndAddIdempotent(suite.client, queue, parts, { agentId: 'a', key }, 0.1, job('crashed'));
    // Removed (e.g. by hand after a crash) without its release: the record still says reserved.
    await (await queue.getJob('crashed'))?.remove();
    expect(await suite.client.get(limitKeys.jobBilling(prefix, 'crashed'))).toBe('reserved:100000000');
    const again = await runAdmitAndAddIdempotent(suite.client, queue, parts, { agentId: 'a', key }, 0.1, job('crashed', 2));
    expect(again).toMatchObject({ outcome: { budget: { reserved: true, alreadyReserved: true } } });
    expect((await queue.getJob('crashed'))?.data).toEqual({ n: 2 });
    expect(await total()).toEqual(['100000000', '100000000']);
    // Its settlement drops the one reservation from each ledger.
    expect(await parts.budget.settle('crashed', { costUsd: 0.05, agentId: 'a', keyId: key.id, model: 'm', provider: 'openrouter' })).toEqual({ billed: true });
    expect(await total()).toEqual(['0', '0']);
  });

  it('reserves anew a job removed without a release once its reservation lapsed', async () => {
    const { prefix, queue, parts } = setup({ reservationTtlMs: 50 });
    await runAdmitAndAddIdempotent(suite.client, queue, parts, { agentId: 'a' }, 0.1, job('lapsed'));
    await (await queue.getJob('lapsed'))?.remove();
    await sleep(80);
    const again = await runAdmitAndAddIdempotent(suite.client, queue, parts, { agentId: 'a' }, 0.2, job('lapsed'));
    expect(again).toMatchObject({ outcome: { budget: { reserved: true, alreadyReserved: false, reservedUsd: 0.2 } } });
    expect(await suite.client.hget(limitKeys.inFlight(prefix), 'total')).toBe('200000000');
    expect(await suite.client.get(limitKeys.jobBilling(prefix, 'lapsed'))).toBe('reserved:200000000');
  });
});

describe('Budget.billedOrClear: the two-step (cluster) check of a keyed job id', () => {
  it("says settled, clears 'released', and leaves a reservation's record (its next admission reuses it)", async () => {
    const { prefix, budget } = parts();
    const record = (jobId: string) => suite.client.get(limitKeys.jobBilling(prefix, jobId));
    await suite.client.set(limitKeys.jobBilling(prefix, 'billed'), 'settled');
    await suite.client.set(limitKeys.jobBilling(prefix, 'dropped'), 'released');
    await budget.reserve('held', 0.1);
    expect(await budget.billedOrClear('billed')).toBe('settled');
    expect(await budget.billedOrClear('dropped')).toBeUndefined();
    expect(await record('dropped')).toBeNull();
    expect(await budget.billedOrClear('held')).toBeUndefined();
    expect(await record('held')).toBe('reserved:100000000');
    expect(await budget.billedOrClear('never')).toBeUndefined();
    expect(await budget.reserve('held', 0.1)).toMatchObject({ reserved: true, alreadyReserved: true });
    expect(await budget.reserve('dropped', 0.1)).toMatchObject({ reserved: true, alreadyReserved: false });
    expect(await suite.client.hget(limitKeys.inFlight(prefix), 'total')).toBe('200000000');
  });
});
