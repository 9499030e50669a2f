import type { Processor } from 'bullmq';
import { loadConfig, type Config } from '@gateway/config';
import type { GatewayJobData, ChatJobResult } from '@gateway/contracts';
import { createLogger } from '@gateway/observability';
import {
  batchCallbackWaitMs,
  batchJobId,
  createCallbackQueue,
  createCallbackWorker,
  createChatQueue,
  createChatWorker,
  createRedisConnection,
  queueKeys,
  readJobViews,
  recordBatchCallback,
  saveBatch,
  type BatchRecord,
} from '@gateway/queue';
import { startFakeServer, uniqueQueuePrefix, useRedisSuite, waitFor, type FakeServer } from '@gateway/testing';
import { createBatchEndCheck, watchBatchEnds } from './batch-end';
import { createCallbackDelivery } from './callbacks';

/**
 * The batch callback outbox on a real Redis: real BullMQ chat and callback workers, a stand-in processor, a real
 * receiver. The delivery of a batch's end is recorded when the batch is created and made due when its last request
 * ends; one whose worker died before making it due falls due by itself.
 */
const suite = useRedisSuite();
const logger = createLogger({ name: 'worker', level: 'silent' });
const recheckMs = 600;
let receiver: FakeServer;
/** Paths whose first delivery the receiver answers 500. */
const failFirst = new Set<string>();
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  receiver = await startFakeServer((request, res) => void res.writeHead(failFirst.delete(request.path) ? 500 : 200).end());
});
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});
afterAll(() => receiver.close());

const result = (content: string): ChatJobResult => ({
  content,
  model: 'x',
  provider: 'mock',
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  cost_usd: 0,
  finish_reason: 'stop',
});

/**
 * Runs what a worker process runs, on its own queue prefix: `processor` absent is no chat worker at all;
 * `watch: false` is a worker that dies as each request ends (before counting it).
 */
function startWorkerParts(options: { processor?: Processor<GatewayJobData, ChatJobResult>; watch?: boolean }) {
  const config: Config = loadConfig({
    LLM_PROVIDER: 'mock',
    REDIS_URL: suite.redis.url,
    JOB_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
    WORKER_LOCK_DURATION_MS: '5000',
  });
  const prefix = uniqueQueuePrefix('batchbox');
  const connection = createRedisConnection(config, 'blocking');
  const queue = createChatQueue(connection, prefix, config);
  const callbacks = createCallbackQueue(connection, prefix, config);
  const chatWorker = options.processor ? createChatWorker(options.processor, { connection, prefix, config }) : undefined;
  if (chatWorker && options.watch !== false) watchBatchEnds(chatWorker, { callbacks, redis: connection, prefix, retentionSeconds: 600, logger });
  const jobView = async (jobId: string) => (await readJobViews(connection, queue, prefix, [jobId], true))[0];
  const batchEnd = createBatchEndCheck({ callbacks, redis: connection, queue, prefix, recheckMs });
  const callbackWorker = createCallbackWorker(createCallbackDelivery({ config, logger, recorded: { jobView, recheckMs, batchEnd } }), {
    connection,
    prefix,
    config,
  });
  stops.push(async () => {
    await Promise.all([chatWorker?.close(), callbackWorker.close()]);
    await Promise.all([queue.close(), callbacks.close()]);
    connection.disconnect();
  });
  /** Creates a batch of `total` requests as the API does: its record, its recorded callback, then its jobs. */
  const createBatch = async (batchId: string, total: number, path: string, extra: Partial<BatchRecord> = {}) => {
    const record: BatchRecord = { batchId, total, createdAt: Date.now(), customIds: [], callbackUrl: `${receiver.url}${path}`, ...extra };
    await saveBatch(connection, prefix, record, 600);
    await recordBatchCallback(callbacks, batchId, record.callbackUrl!, batchCallbackWaitMs(record, record.createdAt, recheckMs));
    for (let index = 0; index < total; index += 1) {
      const data = { messages: [], batch_id: batchId, batch_callback: true, ...(extra.expiresAt ? { expires_at: extra.expiresAt } : {}) };
      await queue.add('batch', data as unknown as GatewayJobData, { jobId: batchJobId(batchId, index) });
    }
  };
  const callbackJob = (batchId: string) => callbacks.getJob(`cb-batch-${batchId}`);
  return { createBatch, callbackJob, connection, queue, prefix };
}

const deliveriesTo = (path: string) => receiver.requests.filter((request) => request.path === path);
const deliveredTo = (path: string, count = 1, timeoutMs = 10_000) =>
  waitFor(async () => (deliveriesTo(path).length >= count ? deliveriesTo(path) : undefined), timeoutMs, 20);

describe('the batch callback outbox', () => {
  it('holds the delivery, recorded at the batch’s creation, until its last request ends; then delivers its view once', async () => {
    let finish!: () => void;
    const running = new Promise<void>((resolve) => (finish = resolve));
    const parts = startWorkerParts({
      processor: async (job) => {
        if (job.id?.endsWith('-1')) await running;
        return result('done');
      },
    });
    await parts.createBatch('batch-a', 2, '/a');
    // Longer than a recheck: the delivery checks the running batch and waits again.
    await new Promise((resolve) => setTimeout(resolve, 3 * recheckMs));
    expect(deliveriesTo('/a')).toHaveLength(0);
    expect(await (await parts.callbackJob('batch-a'))?.getState()).toBe('delayed');
    const finishedAt = Date.now();
    finish();
    const [delivery] = (await deliveredTo('/a'))!;
    // Made due by the request's end, not at a recheck.
    expect(Date.now() - finishedAt).toBeLessThan(recheckMs);
    expect(delivery!.body).toMatchObject({ batch_id: 'batch-a', status: 'completed', done: true, counts: { completed: 2 } });
    await waitFor(async () => ((await (await parts.callbackJob('batch-a'))?.getState()) === 'completed' ? true : undefined), 5000, 20);
    // The waits spent no delivery attempt.
    expect((await parts.callbackJob('batch-a'))?.attemptsMade).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2 * recheckMs));
    expect(deliveriesTo('/a')).toHaveLength(1);
  });

  it('delivers at its recheck a delivery whose last request’s worker died before making it due', async () => {
    const parts = startWorkerParts({ processor: async () => result('orphan'), watch: false });
    const createdAt = Date.now();
    await parts.createBatch('batch-b', 3, '/b');
    const [delivery] = (await deliveredTo('/b'))!;
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(recheckMs - 50);
    expect(delivery!.body).toMatchObject({ batch_id: 'batch-b', status: 'completed', done: true, counts: { completed: 3 } });
  });

  it('delivers an expired batch after its window, even with no worker to reach its requests', async () => {
    const parts = startWorkerParts({});
    await parts.createBatch('batch-c', 2, '/c', { expiresAt: Date.now() + 300 });
    const [delivery] = (await deliveredTo('/c'))!;
    expect(delivery!.body).toMatchObject({ batch_id: 'batch-c', status: 'expired', done: true, counts: { expired: 2, queued: 0 } });
  });

  it('sends the same body on every attempt, though the batch’s view changed between them', async () => {
    failFirst.add('/d');
    const parts = startWorkerParts({ processor: async () => result('kept') });
    await parts.createBatch('batch-d', 2, '/d');
    await deliveredTo('/d');
    // A request's job gone before the retry (its retention ended): a view read now would count it failed.
    await parts.connection.del(parts.queue.toKey(batchJobId('batch-d', 0)));
    const [first, again] = (await deliveredTo('/d', 2))!;
    expect(again!.body).toEqual(first!.body);
    expect(again!.body).toMatchObject({ counts: { completed: 2, failed: 0 } });
  });

  it('drops the delivery of a batch that is gone', async () => {
    const parts = startWorkerParts({});
    await parts.createBatch('batch-e', 1, '/e');
    await parts.connection.del(queueKeys.batch(parts.prefix, 'batch-e'));
    await waitFor(async () => ((await (await parts.callbackJob('batch-e'))?.getState()) === 'failed' ? true : undefined), 5000, 20);
    expect(deliveriesTo('/e')).toHaveLength(0);
  });
});
