import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { createDeploymentCapacity, spanOf, type CapacityLease } from './deployment-capacity';
import { limitKeys } from './keys';

const suite = useRedisSuite();

describe('deployment capacity in Redis (injected clock)', () => {
  let now = 1_800_000_000_000;
  const capacity = (windowMs = 60_000, interactiveReserve = 0) =>
    createDeploymentCapacity({ redis: suite.client, prefix: uniqueLimitsPrefix('capacity'), windowMs, interactiveReserve, maxPauseMs: 5000, clock: () => now });

  it('keeps the tokens of any window within tpm, the estimates corrected to the real counts at settle', async () => {
    const window = 60_000;
    const deployments = capacity(window);
    const limits = { id: 'or-a', tpm: 6000 };
    const started: { at: number; tokens: number }[] = [];
    // A call every 100 ms for five windows, estimated at 400 tokens, really 300.
    for (let step = 0; step < 3000; step += 1) {
      now += 100;
      const taken = await deployments.take(limits, 'job', 400);
      if (!taken.go) {
        expect(taken.reason).toBe('tpm');
        expect(taken.waitMs).toBeGreaterThan(0);
        continue;
      }
      started.push({ at: now, tokens: 300 });
      deployments.settle(taken.lease, 300);
    }
    for (const call of started) {
      const inWindow = started.filter((other) => other.at >= call.at && other.at < call.at + window).reduce((sum, other) => sum + other.tokens, 0);
      expect(inWindow).toBeLessThanOrEqual(6000);
    }
    // Corrected to 300 each, about a window's worth (less the margin counted) goes per window: 20 calls at most.
    const perWindow = (started.length * 300) / ((3000 * 100) / window);
    expect(perWindow).toBeGreaterThan(6000 * (12 / spanOf(window)) * 0.9);
    expect(perWindow).toBeLessThanOrEqual(6000);
  });

  it('counts requests per window and calls in flight, and says which limit is full', async () => {
    const deployments = capacity();
    const leases: CapacityLease[] = [];
    for (let index = 0; index < 2; index += 1) {
      const taken = await deployments.take({ id: 'c', maxConcurrency: 2, rpm: 3 }, 'job', 10);
      if (taken.go) leases.push(taken.lease);
    }
    expect(leases).toHaveLength(2);
    expect(await deployments.take({ id: 'c', maxConcurrency: 2, rpm: 3 }, 'job', 10)).toMatchObject({ go: false, reason: 'concurrency' });
    expect(await deployments.use('c')).toMatchObject({ inFlight: 2, requests: 2, tokens: 20, pausedUntil: null });
    deployments.settle(leases[0]!, 4);
    // Written with the next take, or by the flush when none comes.
    expect(await deployments.use('c')).toMatchObject({ inFlight: 2, tokens: 20 });
    await deployments.flush();
    expect(await deployments.use('c')).toMatchObject({ inFlight: 1, tokens: 14 });
    expect(await deployments.take({ id: 'c', maxConcurrency: 2, rpm: 3 }, 'job', 10)).toMatchObject({ go: true });
    expect(await deployments.take({ id: 'c', rpm: 3 }, 'job', 10)).toMatchObject({ go: false, reason: 'rpm' });
  });

  it('keeps the interactive reserve from lower lanes, not from interactive calls', async () => {
    const deployments = capacity(60_000, 0.25);
    for (let index = 0; index < 3; index += 1) expect((await deployments.take({ id: 'r', rpm: 4 }, 'batch', 1)).go).toBe(true);
    expect(await deployments.take({ id: 'r', rpm: 4 }, 'batch', 1)).toMatchObject({ go: false, reason: 'rpm' });
    expect((await deployments.take({ id: 'r', rpm: 4 }, 'interactive', 1)).go).toBe(true);
  });

  it('pauses one deployment (capped at the longest pause), not another; a dead worker\u2019s call stops counting once its slice leaves', async () => {
    const deployments = capacity();
    await deployments.pause('p', 60_000);
    expect(await deployments.take({ id: 'p' }, 'interactive', 1)).toEqual({ go: false, waitMs: 5000, reason: 'paused' });
    expect((await deployments.take({ id: 'q' }, 'interactive', 1)).go).toBe(true);
    expect((await deployments.use('p')).pausedUntil).toBe(now + 5000);
    now += 5001;
    expect((await deployments.take({ id: 'p', maxConcurrency: 1 }, 'interactive', 1)).go).toBe(true);
    expect((await deployments.take({ id: 'p', maxConcurrency: 1 }, 'interactive', 1)).go).toBe(false);
    // Never settled (its worker died): in flight until its slice leaves the count (the window and the margin).
    now += 30_000;
    expect((await deployments.take({ id: 'p', maxConcurrency: 1 }, 'interactive', 1)).go).toBe(false);
    now += 40_000;
    expect((await deployments.take({ id: 'p', maxConcurrency: 1 }, 'interactive', 1)).go).toBe(true);
  });

  it('keeps the sums it checks equal to the slices they count, however the clocks of two workers move', async () => {
    const prefix = uniqueLimitsPrefix('sums');
    const window = 12_000;
    const span = spanOf(window);
    // Two workers whose clocks differ by 1.5 s (more than a slice of this window), on one deployment.
    const clocks = [0, 1500];
    const workers = clocks.map((skew) =>
      createDeploymentCapacity({
        redis: suite.client,
        prefix,
        windowMs: window,
        interactiveReserve: 0,
        maxPauseMs: 5000,
        flushMs: 60_000,
        clock: () => now + skew,
      }),
    );
    const limits = { id: 'sums', rpm: 30, tpm: 6000, maxConcurrency: 6 };
    const open: { worker: number; lease: CapacityLease }[] = [];
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const reasons = new Set<string>();
    for (let step = 0; step < 1000; step += 1) {
      // Mostly short steps; now and then nothing for minutes (the sums are counted again).
      now += random() < 0.01 ? 5 * 60_000 : Math.floor(random() * 400);
      const worker = random() < 0.5 ? 0 : 1;
      if (open.length > 0 && random() < 0.5) {
        const [call] = open.splice(Math.floor(random() * open.length), 1);
        workers[call!.worker]!.settle(call!.lease, Math.floor(random() * 300));
      }
      if (random() < 0.05) await workers[worker]!.flush();
      // Small calls first (the requests limit binds), then large ones (the tokens limit does).
      const estimate = step < 500 ? 20 + Math.floor(random() * 50) : 200 + Math.floor(random() * 400);
      const taken = await workers[worker]!.take(limits, 'interactive', estimate);
      if (taken.go) open.push({ worker, lease: taken.lease });
      else reasons.add(taken.reason);
      const hash = await suite.client.hgetall(limitKeys.deploymentWindow(prefix, 'sums'));
      const from = Number(hash['s']);
      const sums: Record<string, number> = { r: 0, t: 0, e: 0 };
      for (const [field, count] of Object.entries(hash)) {
        const slice = /^([rte]):(-?\d+)$/.exec(field);
        if (!slice) continue;
        expect(Number(slice[2])).toBeGreaterThanOrEqual(from);
        sums[slice[1]!]! += Number(count);
      }
      expect([Number(hash['R'] ?? 0), Number(hash['T'] ?? 0), Number(hash['E'] ?? 0)]).toEqual([sums['r'], sums['t'], sums['e']]);
      // The sums count no slice older than the span counted by the clock furthest behind.
      expect(from).toBeGreaterThanOrEqual(Math.floor((now + Math.max(...clocks)) / (window / 12)) - span + 1 - Math.ceil(1500 / (window / 12)));
    }
    // Every limit was reached at some point: the walk went through each refusal.
    expect([...reasons].sort()).toEqual(['concurrency', 'rpm', 'tpm']);
  });
});
