import { UnrecoverableError, type Processor } from 'bullmq';
import { loadConfig, type Config } from '@gateway/config';
import { GatewayError, toJobError, type GatewayJobData, type ChatJobResult } from '@gateway/contracts';
import { createLogger } from '@gateway/observability';
import {
  createCallbackQueue,
  createCallbackWorker,
  createChatQueue,
  createChatWorker,
  createRedisConnection,
  readJobViews,
  type CallbackQueue,
  type ChatQueue,
} from '@gateway/queue';
import { startFakeServer, uniqueQueuePrefix, useRedisSuite, waitFor, type FakeServer } from '@gateway/testing';
import { recordCallbacksFirst, watchFinishedJobs } from './callback-outbox';
import { createCallbackDelivery } from './callbacks';

/**
 * The callback outbox on a real Redis: real BullMQ chat and callback workers, a stand-in processor, a real receiver.
 * The delivery of a job's outcome is recorded before the job runs and made due when it ends; one whose worker died
 * before making it due falls due by itself.
 */
const suite = useRedisSuite();
const logger = createLogger({ name: 'worker', level: 'silent' });
const recheckMs = 600;
let receiver: FakeServer;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  receiver = await startFakeServer((_request, res) => void res.writeHead(200).end());
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

/** Runs what a worker process runs, on its own queue prefix; `promote: false` is a worker that dies as each job ends. */
function startWorkerParts(processor: Processor<GatewayJobData, ChatJobResult>, options: { promote: boolean }) {
  const config: Config = loadConfig({
    LLM_PROVIDER: 'mock',
    REDIS_URL: suite.redis.url,
    JOB_CALLBACK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
    WORKER_LOCK_DURATION_MS: '5000',
  });
  const prefix = uniqueQueuePrefix('outbox');
  const connection = createRedisConnection(config, 'blocking');
  const queue: ChatQueue = createChatQueue(connection, prefix, config);
  const callbacks: CallbackQueue = createCallbackQueue(connection, prefix, config);
  const chatWorker = createChatWorker(recordCallbacksFirst(processor, { callbacks, recheckMs, logger }), { connection, prefix, config });
  if (options.promote) watchFinishedJobs(chatWorker, { callbacks, logger });
  const jobView = async (jobId: string) => (await readJobViews(connection, queue, prefix, [jobId], true))[0];
  const callbackWorker = createCallbackWorker(createCallbackDelivery({ config, logger, recorded: { jobView, recheckMs } }), { connection, prefix, config });
  stops.push(async () => {
    await Promise.all([chatWorker.close(), callbackWorker.close()]);
    await Promise.all([queue.close(), callbacks.close()]);
    connection.disconnect();
  });
  const add = (jobId: string, callbackUrl?: string) =>
    queue.add('chat', { messages: [], ...(callbackUrl ? { callback_url: callbackUrl } : {}) } as unknown as GatewayJobData, { jobId });
  return { add, callbacks };
}

const deliveriesTo = (path: string) => receiver.requests.filter((request) => request.path === path);
const deliveredTo = (path: string, timeoutMs = 10_000) => waitFor(async () => deliveriesTo(path)[0], timeoutMs, 20);

describe('the callback outbox', () => {
  it('holds the delivery, recorded before the job runs, until the job ends; then delivers its result once', async () => {
    let finish!: () => void;
    const running = new Promise<void>((resolve) => (finish = resolve));
    const parts = startWorkerParts(
      async () => {
        await running;
        return result('done');
      },
      { promote: true },
    );
    await parts.add('job-a', `${receiver.url}/a`);
    await waitFor(async () => ((await parts.callbacks.getJobState('cb-job-a')) === 'delayed' ? true : undefined), 5000, 20);
    // Longer than a recheck: the delivery checks the running job and waits again.
    await new Promise((resolve) => setTimeout(resolve, 2 * recheckMs));
    expect(deliveriesTo('/a')).toHaveLength(0);
    finish();
    const delivery = await deliveredTo('/a');
    expect(delivery.body).toEqual({ job_id: 'job-a', status: 'completed', result: result('done') });
    await waitFor(async () => ((await parts.callbacks.getJobState('cb-job-a')) === 'completed' ? true : undefined), 5000, 20);
    // The waits spent no delivery attempt.
    expect((await parts.callbacks.getJob('cb-job-a'))?.attemptsMade).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, recheckMs));
    expect(deliveriesTo('/a')).toHaveLength(1);
  });

  it('delivers the error of a failed job', async () => {
    const parts = startWorkerParts(
      async () => {
        throw new UnrecoverableError(JSON.stringify(toJobError(new GatewayError('upstream_error', 'all providers failed'))));
      },
      { promote: true },
    );
    await parts.add('job-b', `${receiver.url}/b`);
    const delivery = await deliveredTo('/b');
    expect(delivery.body).toMatchObject({ job_id: 'job-b', status: 'failed', error: { type: 'upstream_error', message: 'all providers failed' } });
  });

  it('delivers at its recheck a delivery its worker never made due (it died as the job ended)', async () => {
    const parts = startWorkerParts(async () => result('orphan'), { promote: false });
    const addedAt = Date.now();
    await parts.add('job-c', `${receiver.url}/c`);
    const delivery = await deliveredTo('/c');
    expect(Date.now() - addedAt).toBeGreaterThanOrEqual(recheckMs - 50);
    expect(delivery.body).toEqual({ job_id: 'job-c', status: 'completed', result: result('orphan') });
  });

  it('records nothing for a job without a callback_url', async () => {
    let ran = false;
    const parts = startWorkerParts(
      async () => {
        ran = true;
        return result('quiet');
      },
      { promote: true },
    );
    await parts.add('job-d');
    await waitFor(async () => (ran ? true : undefined), 5000, 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await parts.callbacks.getJobCountByTypes('delayed', 'wait', 'active', 'completed', 'failed')).toBe(0);
  });
});
