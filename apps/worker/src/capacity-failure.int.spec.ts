import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { loadConfig, type Config } from '@gateway/config';
import { replyMessageSchema, type ChatJobData, type ChatJobResult, type ReplyMessage } from '@gateway/contracts';
import { createBatchCaps, createBudget, createProviderPacer, limitKeys, loadPricingTable, pricesFromTable, type JobBilling } from '@gateway/limits';
import { createLogger, createMetrics } from '@gateway/observability';
import { bullPrefix, createRedisConnection, limitsPrefix, queueKeys, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { createProviderRegistry, type ProviderRegistry } from '@gateway/providers';
import { startFakeOpenRouter, startProcessorWorker, startRedis, uniquePrefix, waitFor, type FakeOpenRouter, type TestRedis } from '@gateway/testing';
import { createChatProcessor } from './chat-processor';
import { createWorkerCapacity } from './worker-capacity';

/**
 * A deployment whose capacity cannot be counted (its hash in Redis is of the wrong type, so the take's script
 * fails as it would on any Redis error): the job must end at once, its budget reservation released and its caller
 * told, instead of leaving the reservation to lapse.
 */
const INSTANCE = 'api-capacity-failure';
const KEY = 'sk-or-capacity-failure';

let redis: TestRedis;
let openrouter: FakeOpenRouter;
let config: Config;
let prefix: QueuePrefix;
let publisher: RedisClient;
let subscriber: RedisClient;
let registry: ProviderRegistry;
let billing: JobBilling;
let queue: Queue<ChatJobData, ChatJobResult>;
const replies: ReplyMessage[] = [];
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  [redis, openrouter] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: KEY })]);
  const file = join(mkdtempSync(join(tmpdir(), 'gw-capacity-failure-')), 'gateway.json');
  writeFileSync(
    file,
    JSON.stringify({ deployments: [{ id: 'or-counted', provider: 'openrouter', base_url: openrouter.baseUrl, api_key_env: 'OR_KEY_COUNTED', rpm: 100 }] }),
  );
  config = loadConfig({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('capacity-failure'),
    LLM_PROVIDER: 'openrouter',
    OPENROUTER_API_KEY: KEY,
    OPENROUTER_BASE_URL: openrouter.baseUrl,
    OR_KEY_COUNTED: KEY,
    GATEWAY_CONFIG_FILE: file,
    PROVIDER_TIMEOUT_MS: '2000',
    LLM_DAILY_BUDGET_USD: '10',
    LOG_LEVEL: 'silent',
  });
  prefix = bullPrefix(config);
  publisher = createRedisConnection(config, 'blocking', 'capacity-failure-publisher');
  subscriber = createRedisConnection(config, 'blocking', 'capacity-failure-subscriber');
  subscriber.on('message', (_channel: string, payload: string) => replies.push(replyMessageSchema.parse(JSON.parse(payload))));
  await subscriber.subscribe(queueKeys.replyChannel(prefix, INSTANCE));
  registry = createProviderRegistry(config);
  const metrics = createMetrics({ app: 'worker', defaultMetrics: false });
  billing = {
    pricing: pricesFromTable(loadPricingTable(undefined)),
    // Reservations lapse after a long while: the test sees at once whether the job released its own.
    budget: createBudget({ redis: publisher, prefix: limitsPrefix(config), dailyLimitUsd: 10, monthlyLimitUsd: 100, reservationTtlMs: 15 * 60_000 }),
    batchCaps: createBatchCaps({ redis: publisher, prefix: limitsPrefix(config), ttlSeconds: 600 }),
    pacer: createProviderPacer({ redis: publisher, prefix: limitsPrefix(config), rpm: config.pacing.rpm, maxPauseMs: config.pacing.maxPauseMs }),
    metrics,
  };
  const processor = createChatProcessor({
    config,
    registry,
    publisher,
    prefix,
    logger: createLogger({ name: 'worker', level: 'silent' }),
    metrics,
    billing,
    capacity: createWorkerCapacity(config, publisher, limitsPrefix(config), metrics),
  });
  const started = await startProcessorWorker(config, processor, prefix, 'capacity-failure');
  queue = started.queue;
  stopWorker = started.stop;
});
afterAll(async () => {
  await stopWorker?.();
  await registry?.close();
  publisher?.disconnect();
  subscriber?.disconnect();
  await openrouter?.close();
  await redis?.stop();
});

let sequence = 0;
async function submit(reserveUsd: number): Promise<Job<ChatJobData, ChatJobResult>> {
  const id = `capacity-job-${(sequence += 1)}-${Date.now()}`;
  await billing.budget.reserve(id, reserveUsd);
  return queue.add(
    'chat',
    {
      request_id: `req-${id}`,
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello there' }],
      accepted_at: Date.now(),
      reply_to: INSTANCE,
      reserved_usd: reserveUsd,
    },
    { jobId: id },
  );
}

const inFlight = async () => (await billing.budget.usage()).day.in_flight_usd;

describe('a deployment whose capacity cannot be counted', () => {
  it('fails the job at once with an internal error, releases its reservation and tells its caller; none reaches the upstream', async () => {
    openrouter.setBehaviour(() => ({ kind: 'reply', content: 'never' }));
    // The deployment's counts are a hash: a string there makes the take's script fail with WRONGTYPE.
    const counts = limitKeys.deploymentWindow(limitsPrefix(config), 'or-counted');
    await publisher.set(counts, 'not a hash');
    try {
      const job = await submit(0.5);
      expect(await inFlight()).toBeGreaterThanOrEqual(0.5);
      const outcome = await waitFor(async () => {
        const state = await job.getState();
        if (state !== 'failed' && state !== 'completed') return undefined;
        return { state, job: (await queue.getJob(job.id!))! };
      }, 10_000);
      expect(outcome?.state).toBe('failed');
      // Released with the failure, not left until it lapses.
      expect(await inFlight()).toBeLessThan(0.5);
      // Final (no retry that would find the same fault), with the gateway's error type for GET /v1/jobs, not Redis's text.
      expect(JSON.parse(outcome!.job.failedReason)).toMatchObject({ type: 'internal_error' });
      expect(outcome!.job.attemptsMade).toBe(1);
      await waitFor(() => replies.some((reply) => reply.job_id === job.id) || undefined, 5000);
      expect(replies.find((reply) => reply.job_id === job.id)).toMatchObject({ kind: 'error', error: { type: 'internal_error' } });
      expect(openrouter.requests).toHaveLength(0);
    } finally {
      await publisher.del(counts);
    }
  });

  it('counts again once Redis holds the hash: the next job is served by the deployment', async () => {
    openrouter.setBehaviour(() => ({ kind: 'reply', content: 'counted' }));
    const job = await submit(0.01);
    const result = await waitFor(async () => ((await job.getState()) === 'completed' ? (await queue.getJob(job.id!))!.returnvalue : undefined), 10_000);
    expect(result).toMatchObject({ provider: 'openrouter', content: 'counted' });
    expect(openrouter.requests).toHaveLength(1);
  });
});
