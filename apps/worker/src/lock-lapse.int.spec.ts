import { Queue, type Job } from 'bullmq';
import { loadConfig, type Config } from '@gateway/config';
import type { ChatJobData, ChatJobResult } from '@gateway/contracts';
import { createBatchCaps, createBudget, createProviderPacer, loadPricingTable, pricesFromTable, type JobBilling } from '@gateway/limits';
import { createLogger, createMetrics } from '@gateway/observability';
import { bullPrefix, createChatWorker, createRedisConnection, limitsPrefix, type RedisClient } from '@gateway/queue';
import { createProviderRegistry, type ProviderRegistry } from '@gateway/providers';
import { startFakeOpenRouter, startRedis, uniquePrefix, waitFor, type FakeOpenRouter, type TestRedis } from '@gateway/testing';
import { createChatProcessor } from './chat-processor';
import { createRunLocks, withRunLocks, type RunLocks } from './run-locks';

/**
 * A job whose lock lapses mid-call (Redis down longer than the lock) is taken again by the same worker while its
 * first run still waits on the provider. The stale run is aborted when Redis refuses its renewal, the run holding
 * the lock finishes and keeps its result, and each of the two provider calls is billed once.
 */
jest.setTimeout(60_000);

const RESERVED_USD = 0.01;
const CALL_COST_USD = 0.002;

let redis: TestRedis;
let openrouter: FakeOpenRouter;
let config: Config;
let publisher: RedisClient;
let registry: ProviderRegistry;
let billing: JobBilling;
let queue: Queue<ChatJobData, ChatJobResult>;
let locks: RunLocks;
const workerErrors: string[] = [];
let stop: () => Promise<void>;

beforeAll(async () => {
  [redis, openrouter] = await Promise.all([startRedis({ spawn: true, appendOnly: true }), startFakeOpenRouter({ apiKey: 'sk-or-lapse' })]);
  config = loadConfig({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('lapse'),
    LLM_PROVIDER: 'openrouter',
    OPENROUTER_API_KEY: 'sk-or-lapse',
    OPENROUTER_BASE_URL: openrouter.baseUrl,
    PROVIDER_TIMEOUT_MS: '20000',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    WORKER_MAX_STALLED_COUNT: '1',
    LOG_LEVEL: 'silent',
  });
  const prefix = bullPrefix(config);
  publisher = createRedisConnection(config, 'blocking', 'lapse-publisher');
  registry = createProviderRegistry(config);
  const metrics = createMetrics({ app: 'worker', defaultMetrics: false });
  billing = {
    pricing: pricesFromTable(loadPricingTable(undefined)),
    budget: createBudget({ redis: publisher, prefix: limitsPrefix(config), dailyLimitUsd: 10, monthlyLimitUsd: 100, reservationTtlMs: 600_000 }),
    batchCaps: createBatchCaps({ redis: publisher, prefix: limitsPrefix(config), ttlSeconds: 600 }),
    pacer: createProviderPacer({ redis: publisher, prefix: limitsPrefix(config), rpm: config.pacing.rpm, maxPauseMs: config.pacing.maxPauseMs }),
    metrics,
  };
  const logger = createLogger({ name: 'worker', level: 'silent' });
  const processor = createChatProcessor({ config, registry, publisher, prefix, logger, metrics, billing });
  // Wired as main.ts wires it.
  locks = createRunLocks({ lockDurationMs: config.worker.lockDurationMs, log: logger });
  const workerConnection = createRedisConnection(config, 'blocking', 'lapse-worker');
  const worker = createChatWorker(withRunLocks(locks, processor), { connection: workerConnection, prefix, config, concurrency: 4, ownLockRenewal: true });
  worker.on('error', (error) => workerErrors.push(error.message));
  const queueConnection = createRedisConnection(config, 'blocking', 'lapse-queue');
  queue = new Queue<ChatJobData, ChatJobResult>('chat', { connection: queueConnection, prefix });
  // Redis is killed on purpose: the connections' errors meanwhile are expected.
  queue.on('error', () => undefined);
  for (const connection of [publisher, workerConnection, queueConnection]) connection.on('error', () => undefined);
  await worker.waitUntilReady();
  stop = async () => {
    await worker.close();
    locks.close();
    await queue.close();
    workerConnection.disconnect();
    queueConnection.disconnect();
  };
});
afterAll(async () => {
  await stop?.();
  await registry?.close();
  publisher?.disconnect();
  await openrouter?.close();
  await redis?.stop();
});

async function finished(job: Job<ChatJobData, ChatJobResult>) {
  return waitFor(
    async () => {
      const fresh = await queue.getJob(job.id!).catch(() => undefined);
      const state = await fresh?.getState().catch(() => undefined);
      if (state !== 'completed' && state !== 'failed') return undefined;
      return { state, result: fresh!.returnvalue, failedReason: fresh!.failedReason, attemptsStarted: fresh!.attemptsStarted };
    },
    40_000,
    200,
  );
}

describe('a job lock that lapses mid-call', () => {
  it('ends completed with the result of the run that holds the lock, each provider call billed once', async () => {
    // Long calls: the first outlives the outage, the second outlives the first run's end by more than a lock.
    openrouter.setBehaviour(() => ({ kind: 'reply', content: 'answer of the run holding the lock', latencyMs: 8000, cost: CALL_COST_USD }));
    const id = `lapse-${Date.now()}`;
    await billing.budget.reserve(id, RESERVED_USD);
    const job = await queue.add(
      'chat',
      {
        request_id: `req-${id}`,
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hello' }],
        accepted_at: Date.now(),
        reserved_usd: RESERVED_USD,
      },
      { jobId: id },
    );
    await waitFor(async () => (openrouter.requests.length === 1 ? true : undefined), 5000, 20);
    // Redis gone for longer than the lock (2 s): the lock has lapsed when it is back, the stalled check takes the job.
    await redis.kill(true);
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await redis.restart();

    const outcome = await finished(job);
    const usage = await billing.budget.usage();
    process.stdout.write(
      `lock lapse: ${JSON.stringify({ state: outcome?.state, failedReason: outcome?.failedReason, calls: openrouter.requests.length, attemptsStarted: outcome?.attemptsStarted, spent: usage.day.spent_usd, billedCalls: usage.day.jobs, inFlight: usage.day.in_flight_usd })}\n`,
    );
    expect(outcome).toMatchObject({ state: 'completed', result: { content: 'answer of the run holding the lock', cost_usd: CALL_COST_USD } });
    expect(openrouter.requests).toHaveLength(2);
    // The stale run's call was cut (no answer known: its reservation), the lock holder's at its real cost.
    expect(usage.day.jobs).toBe(2);
    expect(usage.day.spent_usd).toBeCloseTo(RESERVED_USD + CALL_COST_USD, 9);
    expect(usage.day.in_flight_usd).toBe(0);
    expect(locks.size()).toBe(0);
  });
});
