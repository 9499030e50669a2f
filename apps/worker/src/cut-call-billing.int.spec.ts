import { Queue, type Job } from 'bullmq';
import { loadConfig, type Config } from '@gateway/config';
import type { ChatJobData, ChatJobResult } from '@gateway/contracts';
import { createBatchCaps, createBudget, createProviderPacer, estimatePromptTokens, loadPricingTable, pricesFromTable, type JobBilling } from '@gateway/limits';
import { createLogger, createMetrics } from '@gateway/observability';
import { bullPrefix, createChatWorker, createRedisConnection, limitsPrefix, type RedisClient } from '@gateway/queue';
import { createProviderRegistry, type ProviderRegistry } from '@gateway/providers';
import { startFakeOpenRouter, startRedis, uniquePrefix, waitFor, type FakeOpenRouter, type OpenRouterBehaviour, type TestRedis } from '@gateway/testing';
import { createChatProcessor } from './chat-processor';
import { createRunLocks, withRunLocks, type RunLocks } from './run-locks';

/**
 * Calls that end without their result, billed for what the provider consumed: a stream broken mid-answer (prompt and
 * the text received), a call cancelled mid-way with nothing known of its answer (the reservation), a batch request
 * as any job; an upstream that answers with an error before the first token costs nothing (released).
 */
const RESERVED_USD = 0.05;
const MODEL = 'openai/gpt-4o-mini';
const MESSAGES = [{ role: 'user' as const, content: 'Say many words' }];

let redis: TestRedis;
let openrouter: FakeOpenRouter;
let config: Config;
let publisher: RedisClient;
let registry: ProviderRegistry;
let billing: JobBilling;
let queue: Queue<ChatJobData, ChatJobResult>;
let locks: RunLocks;
let stop: () => Promise<void>;

beforeAll(async () => {
  [redis, openrouter] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: 'sk-or-cut' })]);
  config = loadConfig({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('cutcall'),
    LLM_PROVIDER: 'openrouter',
    OPENROUTER_API_KEY: 'sk-or-cut',
    OPENROUTER_BASE_URL: openrouter.baseUrl,
    PROVIDER_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'silent',
  });
  const prefix = bullPrefix(config);
  publisher = createRedisConnection(config, 'blocking', 'cut-publisher');
  registry = createProviderRegistry(config);
  const metrics = createMetrics({ app: 'worker', defaultMetrics: false });
  billing = {
    pricing: pricesFromTable(loadPricingTable(undefined)),
    budget: createBudget({ redis: publisher, prefix: limitsPrefix(config), dailyLimitUsd: 10, monthlyLimitUsd: 100, reservationTtlMs: 600_000 }),
    batchCaps: createBatchCaps({ redis: publisher, prefix: limitsPrefix(config), ttlSeconds: 600 }),
    pacer: createProviderPacer({ redis: publisher, prefix: limitsPrefix(config), rpm: config.pacing.rpm, maxPauseMs: config.pacing.maxPauseMs }),
    metrics,
  };
  const processor = createChatProcessor({ config, registry, publisher, prefix, logger: createLogger({ name: 'worker', level: 'silent' }), metrics, billing });
  locks = createRunLocks({ lockDurationMs: config.worker.lockDurationMs });
  const workerConnection = createRedisConnection(config, 'blocking', 'cut-worker');
  const worker = createChatWorker(withRunLocks(locks, processor), { connection: workerConnection, prefix, config, concurrency: 4, ownLockRenewal: true });
  const queueConnection = createRedisConnection(config, 'blocking', 'cut-queue');
  queue = new Queue<ChatJobData, ChatJobResult>('chat', { connection: queueConnection, prefix });
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

let sequence = 0;
/** Adds a job as the API does (reserved first) and returns it with the spend before it. */
async function submit(fields: Partial<ChatJobData>, behaviour: OpenRouterBehaviour) {
  openrouter.setBehaviour(() => behaviour);
  const id = `cut-${(sequence += 1)}-${Date.now()}`;
  const before = (await billing.budget.usage()).day.spent_usd;
  await billing.budget.reserve(id, RESERVED_USD);
  const job = await queue.add(
    'chat',
    { request_id: `req-${id}`, model: MODEL, messages: MESSAGES, accepted_at: Date.now(), reserved_usd: RESERVED_USD, ...fields },
    { jobId: id },
  );
  return { job, before };
}

async function ended(job: Job<ChatJobData, ChatJobResult>) {
  return waitFor(async () => {
    const state = await job.getState();
    return state === 'completed' || state === 'failed' ? { state, failedReason: (await queue.getJob(job.id!))!.failedReason } : undefined;
  }, 10_000);
}

/** The spend this job added, once nothing is in flight. */
async function spentSince(before: number): Promise<number> {
  const day = await waitFor(async () => {
    const usage = (await billing.budget.usage()).day;
    return usage.in_flight_usd === 0 ? usage : undefined;
  }, 5000);
  return day!.spent_usd - before;
}

const pricePerToken = () => {
  const price = loadPricingTable(undefined)[MODEL]!;
  return { prompt: price.prompt / 1e6, completion: price.completion / 1e6 };
};

describe('a call that ends without its result', () => {
  it('broken mid-stream: the job fails and is billed for the prompt and the text received', async () => {
    // 12 words of 4 characters (one token each), then the connection drops.
    const content = Array.from({ length: 12 }, (_, index) => `w${String(index).padStart(2, '0')} `).join('');
    const { job, before } = await submit({ stream: true, resumable: true }, { kind: 'truncated-stream', content });
    expect(await ended(job)).toMatchObject({ state: 'failed' });
    const price = pricePerToken();
    expect(await spentSince(before)).toBeCloseTo(estimatePromptTokens(MESSAGES) * price.prompt + 12 * price.completion, 9);
  });

  it('a non-streamed batch request cancelled mid-call: billed at its reservation, nothing better being known', async () => {
    const { job, before } = await submit({ batch_id: 'batch-cut', lane: 'batch' }, { kind: 'reply', content: 'late', latencyMs: 5000 });
    await waitFor(
      async () => (openrouter.requests.some((request) => JSON.stringify(request.body).includes(MESSAGES[0]!.content)) ? true : undefined),
      5000,
      20,
    );
    await waitFor(async () => (locks.cancelJob(job.id!, 'cancelled by the client') ? true : undefined), 5000, 20);
    expect(await ended(job)).toMatchObject({ state: 'failed', failedReason: expect.stringContaining('cancelled') });
    expect(await spentSince(before)).toBeCloseTo(RESERVED_USD, 9);
  });

  it('an upstream that answers with an error before the first token: nothing billed, the reservation released', async () => {
    const { job, before } = await submit(
      { stream: true, resumable: true },
      { kind: 'status', status: 400, body: { error: { message: 'bad request', code: 400 } } },
    );
    expect(await ended(job)).toMatchObject({ state: 'failed' });
    expect(await spentSince(before)).toBe(0);
  });
});
