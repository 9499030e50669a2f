import { Redis } from 'ioredis';
import { GatewayError } from '@gateway/contracts';
import { createLogger } from '@gateway/observability';
import { startRedis, uniqueQueuePrefix, waitFor, type TestRedis } from '@gateway/testing';
import { AcquireCode, createCircuitBreaker, type CircuitBreaker } from './circuit-breaker';
import { withFailover } from './failover';
import { createBreakerHooks } from './failover-hooks';
import { createProviderStats } from './provider-stats';
import { queuePrefixOf, type QueuePrefix } from '@gateway/queue';

let redis: TestRedis;
const clients: Redis[] = [];
const connect = () => {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  clients.push(client);
  return client;
};
const breakerOn = (client: Redis, prefix: QueuePrefix, overrides: { resetTimeMs?: number; trialLeaseMs?: number } = {}) =>
  createCircuitBreaker({
    redis: client,
    prefix,
    failureThreshold: 3,
    resetTimeMs: overrides.resetTimeMs ?? 300,
    trialLeaseMs: overrides.trialLeaseMs ?? 30_000,
  });

async function openIt(breaker: CircuitBreaker) {
  for (let index = 0; index < 3; index += 1) await breaker.record('openrouter', 'failure');
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis?.stop();
});

describe('circuit breaker (state in Redis)', () => {
  it('tells a clean closed circuit from one with failures counted', async () => {
    const breaker = breakerOn(connect(), uniqueQueuePrefix('cb'));
    expect((await breaker.acquire('openrouter')).code).toBe(AcquireCode.Closed);
    await breaker.record('openrouter', 'failure');
    expect(await breaker.acquire('openrouter')).toEqual({ allowed: true, trial: false, code: AcquireCode.ClosedWithFailures });
    await breaker.record('openrouter', 'success');
    expect((await breaker.acquire('openrouter')).code).toBe(AcquireCode.Closed);
  });

  it('hooks: a success through a clean circuit skips the record; through a circuit with failures it resets them', async () => {
    const client = connect();
    const prefix = uniqueQueuePrefix('cb');
    const breaker = breakerOn(client, prefix);
    const hooks = createBreakerHooks({ breaker, stats: createProviderStats(client, prefix), logger: createLogger({ name: 'test', level: 'silent' }) });
    const plan = [{ provider: 'openrouter' as const, model: 'm' }];
    let evals = 0;
    // Count the scripts a clean success runs: only the acquire.
    const original = client.evalsha.bind(client);
    client.evalsha = ((...args: Parameters<typeof client.evalsha>) => {
      evals += 1;
      return original(...args);
    }) as typeof client.evalsha;
    await withFailover(plan, async () => 'ok', hooks);
    expect(evals).toBe(1);
    await breaker.record('openrouter', 'failure');
    await breaker.record('openrouter', 'failure');
    await withFailover(plan, async () => 'ok', hooks);
    expect((await breaker.snapshot('openrouter')).consecutiveFailures).toBe(0);
    // two direct records, then the acquire and the record that reset the failures
    expect(evals).toBe(5);
  });

  it('opens after the threshold of consecutive failures; a success in between starts the count again', async () => {
    const breaker = breakerOn(connect(), uniqueQueuePrefix('cb'));
    await breaker.record('openrouter', 'failure');
    await breaker.record('openrouter', 'failure');
    await breaker.record('openrouter', 'success');
    await breaker.record('openrouter', 'failure');
    expect(await breaker.record('openrouter', 'failure')).toEqual({ state: 'closed', changed: false });
    expect(await breaker.record('openrouter', 'failure')).toEqual({ state: 'open', changed: true });
    expect(await breaker.acquire('openrouter')).toEqual({ allowed: false, trial: false, code: AcquireCode.Open });
    expect(await breaker.acquire('ollama')).toEqual({ allowed: true, trial: false, code: AcquireCode.Closed });
  });

  it('does not count neutral outcomes (invalid request, cancelled)', async () => {
    const breaker = breakerOn(connect(), uniqueQueuePrefix('cb'));
    for (let index = 0; index < 10; index += 1) await breaker.record('openrouter', 'neutral');
    expect((await breaker.snapshot('openrouter')).state).toBe('closed');
  });

  it('after the reset time lets exactly one trial through across connections (two "workers")', async () => {
    const prefix = uniqueQueuePrefix('cb');
    const workerA = breakerOn(connect(), prefix);
    const workerB = breakerOn(connect(), prefix);
    await openIt(workerA);
    expect((await workerB.acquire('openrouter')).allowed).toBe(false);
    await waitFor(async () => (await workerB.snapshot('openrouter')).state === 'half_open', 10_000);
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? workerA : workerB).acquire('openrouter')));
    expect(decisions.filter((decision) => decision.trial)).toHaveLength(1);
    expect(decisions.filter((decision) => decision.code === AcquireCode.TrialInFlight)).toHaveLength(39);
  });

  it('a failed trial re-opens the circuit; a successful one closes it', async () => {
    const prefix = uniqueQueuePrefix('cb');
    const breaker = breakerOn(connect(), prefix);
    await openIt(breaker);
    await waitFor(async () => (await breaker.acquire('openrouter')).trial, 10_000);
    expect(await breaker.record('openrouter', 'failure')).toEqual({ state: 'open', changed: true });
    expect((await breaker.acquire('openrouter')).allowed).toBe(false);
    await waitFor(async () => (await breaker.acquire('openrouter')).trial, 10_000);
    expect(await breaker.record('openrouter', 'success')).toEqual({ state: 'closed', changed: true });
    expect(await breaker.acquire('openrouter')).toMatchObject({ allowed: true, trial: false });
    expect(await breaker.snapshot('openrouter')).toEqual({ state: 'closed', consecutiveFailures: 0, openedAt: null });
  });

  it('a neutral trial frees the slot for the next caller; an abandoned trial is freed by its lease', async () => {
    const prefix = uniqueQueuePrefix('cb');
    const breaker = breakerOn(connect(), prefix, { trialLeaseMs: 400 });
    await openIt(breaker);
    await waitFor(async () => (await breaker.acquire('openrouter')).trial, 10_000);
    expect((await breaker.acquire('openrouter')).code).toBe(AcquireCode.TrialInFlight);
    await breaker.record('openrouter', 'neutral');
    expect((await breaker.acquire('openrouter')).trial).toBe(true);
    // nobody records this trial (its worker died): after the lease another one is granted
    expect((await breaker.acquire('openrouter')).code).toBe(AcquireCode.TrialInFlight);
    await waitFor(async () => (await breaker.acquire('openrouter')).trial, 10_000);
  });
});

describe('breaker hooks with withFailover', () => {
  const logger = createLogger({ name: 'test', level: 'silent' });
  const plan = [
    { provider: 'openrouter' as const, model: 'm' },
    { provider: 'mock' as const, model: 'm' },
  ];

  it('skips an open provider without calling it and counts calls, failures, failovers and skips', async () => {
    const prefix = uniqueQueuePrefix('hooks');
    const client = connect();
    const breaker = breakerOn(client, prefix, { resetTimeMs: 60_000 });
    const stats = createProviderStats(client, prefix);
    const hooks = createBreakerHooks({ breaker, stats, logger });
    const called: string[] = [];
    const call = async (attempt: { provider: string }) => {
      called.push(attempt.provider);
      if (attempt.provider === 'openrouter') throw new GatewayError('upstream_error', 'HTTP 503', { recovery: 'failover', upstreamStatus: 503 });
      return 'ok';
    };
    for (let index = 0; index < 5; index += 1) expect((await withFailover(plan, call, hooks)).provider).toBe('mock');
    expect(called.filter((provider) => provider === 'openrouter')).toHaveLength(3);
    await waitFor(async () => (await stats.read()).openrouter.failovers === 3);
    expect((await stats.read()).openrouter).toEqual({ calls: 3, failures: 3, failovers: 3, skipped: 2 });
    expect((await stats.read()).mock).toMatchObject({ calls: 5, failures: 0 });
  });

  it('does not open the circuit on invalid requests', async () => {
    const prefix = uniqueQueuePrefix('hooks');
    const client = connect();
    const breaker = breakerOn(client, prefix);
    const hooks = createBreakerHooks({ breaker, stats: createProviderStats(client, prefix), logger });
    for (let index = 0; index < 5; index += 1) {
      await expect(
        withFailover(
          plan,
          async () => {
            throw new GatewayError('invalid_request', 'bad', { recovery: 'final', upstreamStatus: 400 });
          },
          hooks,
        ),
      ).rejects.toMatchObject({ type: 'invalid_request' });
    }
    expect((await breaker.snapshot('openrouter')).state).toBe('closed');
  });

  it('fails open when Redis cannot be reached', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    clients.push(dead);
    const hooks = createBreakerHooks({ breaker: breakerOn(dead, queuePrefixOf('x')), stats: createProviderStats(dead, queuePrefixOf('x')), logger });
    expect(await withFailover(plan, async (attempt) => attempt.provider, hooks)).toMatchObject({ provider: 'openrouter' });
  });
});

describe('a breaker watching circuit changes', () => {
  const scriptCalls = async () => Number((await connect().info('commandstats')).match(/cmdstat_evalsha:calls=(\d+)/)?.[1] ?? 0);
  const watching = async (prefix: QueuePrefix, command: Redis = connect()) => {
    const subscriber = connect();
    const breaker = breakerOn(command, prefix);
    await breaker.watch(subscriber);
    return { breaker, subscriber };
  };

  it('lets calls through a clean circuit while Redis is unreachable, and asks again once another breaker counts a failure', async () => {
    const prefix = uniqueQueuePrefix('cb');
    const command = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    command.on('error', () => undefined);
    await new Promise((resolve) => command.once('ready', resolve));
    const { breaker } = await watching(prefix, command);
    command.disconnect();
    for (let index = 0; index < 20; index += 1) expect(await breaker.acquire('openrouter')).toEqual({ allowed: true, trial: false, code: AcquireCode.Closed });
    expect((await breaker.acquire('mock')).code).toBe(AcquireCode.Closed);

    // Once another breaker counted a failure, this one must ask Redis (here: unreachable, so the acquire fails).
    const other = breakerOn(connect(), prefix);
    await other.record('openrouter', 'failure');
    await waitFor(
      async () =>
        breaker.acquire('openrouter').then(
          () => false,
          () => true,
        ),
      2000,
      10,
    );
    // Other providers stay clean and answered locally.
    expect((await breaker.acquire('mock')).code).toBe(AcquireCode.Closed);
  });

  it('counts failures another breaker recorded, and skips a circuit it opened', async () => {
    const prefix = uniqueQueuePrefix('cb');
    const { breaker } = await watching(prefix);
    const other = breakerOn(connect(), prefix);
    await other.record('openrouter', 'failure');
    await waitFor(async () => (await breaker.acquire('openrouter')).code === AcquireCode.ClosedWithFailures, 2000);
    await other.record('openrouter', 'failure');
    await other.record('openrouter', 'failure');
    expect(await breaker.acquire('openrouter')).toMatchObject({ allowed: false, code: AcquireCode.Open });
  });

  it('after a successful trial closes the circuit, goes back to asking nothing', async () => {
    const prefix = uniqueQueuePrefix('cb');
    const { breaker } = await watching(prefix);
    const other = breakerOn(connect(), prefix, { resetTimeMs: 50 });
    await openIt(other);
    await waitFor(async () => (await breaker.acquire('openrouter')).allowed === false, 2000);
    // After the 50 ms reset time the next acquire is the trial.
    await waitFor(async () => (await other.acquire('openrouter')).trial, 2000, 10);
    await other.record('openrouter', 'success');
    await waitFor(async () => {
      const before = await scriptCalls();
      const decision = await breaker.acquire('openrouter');
      return decision.code === AcquireCode.Closed && (await scriptCalls()) === before;
    }, 2000);
  });

  it('reads circuits back after its connection was down (changes announced meanwhile were missed)', async () => {
    const prefix = uniqueQueuePrefix('cb');
    const { breaker, subscriber } = await watching(prefix);
    expect((await breaker.acquire('openrouter')).code).toBe(AcquireCode.Closed);
    // Failures written straight into the hash: no announcement, as if sent while this breaker was disconnected.
    await connect().hset(`${prefix}:breaker:openrouter`, 'state', 'open', 'failures', 3, 'opened_at', Date.now(), 'version', 1);
    const closed = new Promise((resolve) => subscriber.once('close', resolve));
    const reconnected = new Promise((resolve) => subscriber.once('ready', resolve));
    subscriber.disconnect(true);
    await closed;
    // Not current: asks Redis, which knows.
    expect((await breaker.acquire('openrouter')).allowed).toBe(false);
    await reconnected;
    await waitFor(async () => {
      const before = await scriptCalls();
      const decision = await breaker.acquire('openrouter');
      return decision.allowed === false && (await scriptCalls()) === before + 1;
    }, 2000);
  });
});

describe('buffered provider counters', () => {
  it('holds increments in memory and writes them together after the buffer time', async () => {
    const client = connect();
    const prefix = uniqueQueuePrefix('stats');
    const stats = createProviderStats(client, prefix, { bufferMs: 100 });
    for (let index = 0; index < 5; index += 1) await stats.increment('openrouter', 'calls');
    await stats.increment('openrouter', 'failures', 2);
    expect((await stats.read()).openrouter.calls).toBe(0);
    await waitFor(async () => (await stats.read()).openrouter.calls === 5, 2000, 20);
    expect((await stats.read()).openrouter).toEqual({ calls: 5, failures: 2, failovers: 0, skipped: 0 });
  });

  it('keeps the counts Redis could not take, and writes them once it can', async () => {
    const own = await startRedis({ spawn: true, appendOnly: true });
    const client = new Redis(own.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    try {
      const prefix = uniqueQueuePrefix('stats');
      const stats = createProviderStats(client, prefix, { bufferMs: 50 });
      await own.kill(true);
      await stats.increment('mock', 'calls', 7);
      await stats.flush();
      await own.restart();
      await waitFor(async () => client.status === 'ready', 5000, 20);
      await stats.increment('mock', 'calls');
      await waitFor(async () => (await stats.read()).mock.calls === 8, 5000, 20);
    } finally {
      client.disconnect();
      await own.stop();
    }
  });
});
