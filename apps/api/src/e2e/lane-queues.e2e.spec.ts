import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { batchJobId, saveBatch, queueNameOfJob, type QueuePrefix } from '@gateway/queue';
import {
  jobView,
  noRateLimit,
  postJson,
  startGateway,
  startRedis,
  stopAll,
  uniquePrefix,
  waitFor,
  waitForStatus,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

// One BullMQ queue per lane, as callers and older API instances see it: every lane's ids are found and cancelled in
// their own queue, and the work API instances before the lane queues left in `chat` still runs and is still read.
jest.setTimeout(60_000);

const messages = [{ role: 'user' as const, content: 'hi' }];
const uuidOf = () => randomUUID();

let redis: TestRedis;
let gateway: GatewayProcesses;
let client: Redis;
let prefix: QueuePrefix;

beforeAll(async () => {
  redis = await startRedis();
  prefix = uniquePrefix('lane-queues') as QueuePrefix;
  gateway = await startGateway(
    {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      LLM_PROVIDER: 'mock',
      // One slot per lane: a slow job keeps the next one of its lane queued.
      WORKER_CONCURRENCY: '1',
      ...noRateLimit,
    },
    { workers: 1 },
  );
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client?.disconnect();
  await stopAll(gateway, redis);
});

/** Whether a job's hash is in the named queue. */
const inQueue = async (queue: string, jobId: string) => (await client.exists(`${prefix}:${queue}:${jobId}`)) === 1;

describe('ids name their lane’s queue', () => {
  it('finds and cancels a job of the job lane in chat-job, and an interactive one in chat', async () => {
    const slow = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/echo?latency=3000' });
    const queued = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/echo' });
    const [slowId, queuedId] = [slow.body, queued.body].map((body) => (body as { job_id: string }).job_id) as [string, string];
    expect(slowId).toMatch(/^job_/);
    expect([await inQueue('chat-job', slowId), await inQueue('chat', slowId)]).toEqual([true, false]);
    await waitForStatus(gateway.baseUrl, slowId, 'active', 10_000);
    expect((await jobView(gateway.baseUrl, queuedId))?.status).toBe('queued');
    const cancelled = await fetch(`${gateway.baseUrl}/v1/jobs/${queuedId}`, { method: 'DELETE' });
    expect(((await cancelled.json()) as { status: string }).status).toBe('cancelled');
    expect(await inQueue('chat-job', queuedId)).toBe(false);
    await waitForStatus(gateway.baseUrl, slowId, 'completed', 10_000);

    const chat = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/echo' });
    const chatId = (chat.body as { job_id: string }).job_id;
    expect(queueNameOfJob(chatId)).toBe('chat');
    expect((await jobView(gateway.baseUrl, chatId))?.status).toBe('completed');
  });

  it('finds a background response in chat-job and cancels it there', async () => {
    const slow = await postJson(`${gateway.baseUrl}/v1/responses`, { input: 'slow', model: 'mock/echo?latency=3000', background: true });
    const queued = await postJson(`${gateway.baseUrl}/v1/responses`, { input: 'queued', model: 'mock/echo', background: true });
    const [slowId, queuedId] = [slow.body, queued.body].map((body) => (body as { id: string }).id) as [string, string];
    expect(slowId).toMatch(/^resp_job_/);
    expect(await inQueue('chat-job', slowId.slice('resp_'.length))).toBe(true);
    await waitFor(async () => (await inQueue('chat-job', queuedId.slice('resp_'.length))) || undefined, 5000);
    const cancel = await postJson(`${gateway.baseUrl}/v1/responses/${queuedId}/cancel`, {});
    expect([cancel.status, (cancel.body as { status: string }).status]).toEqual([200, 'cancelled']);
    const done = await waitFor(async () => {
      const view = (await (await fetch(`${gateway.baseUrl}/v1/responses/${slowId}`)).json()) as { status: string };
      return view.status === 'completed' ? view : undefined;
    }, 10_000);
    expect(done.status).toBe('completed');
  });

  it('puts a batch in chat-batch, whole, finds its requests by job id and cancels what has not run', async () => {
    const accepted = await postJson(
      `${gateway.baseUrl}/v1/batches`,
      Array.from({ length: 4 }, (_, index) => ({ messages, model: 'mock/echo?latency=2000', custom_id: `r-${index}` })),
    );
    const { batch_id: batchId, job_ids: jobIds } = accepted.body as { batch_id: string; job_ids: string[] };
    expect(batchId).toMatch(/^batch_/);
    expect(await Promise.all(jobIds.map((jobId) => inQueue('chat-batch', jobId)))).toEqual([true, true, true, true]);
    await waitForStatus(gateway.baseUrl, jobIds[0]!, 'active', 10_000);
    const cancel = await fetch(`${gateway.baseUrl}/v1/batches/${batchId}`, { method: 'DELETE' });
    expect(cancel.status).toBe(200);
    const view = await waitFor(async () => {
      const batch = (await (await fetch(`${gateway.baseUrl}/v1/batches/${batchId}`)).json()) as { done: boolean; counts: Record<string, number> };
      return batch.done ? batch : undefined;
    }, 10_000);
    expect(view.counts).toMatchObject({ completed: 1, cancelled: 3 });
  });
});

describe('work queued by API instances before the lane queues', () => {
  // Job data as those instances wrote it: every lane in `chat`, ids without a lane mark, lanes as priority ranges.
  const oldJob = (lane: 'job' | 'batch', extra: Record<string, unknown> = {}) => ({
    request_id: 'old',
    model: 'mock/echo',
    messages,
    accepted_at: Date.now(),
    lane,
    tenant: 'anonymous',
    reserved_usd: 0,
    ...extra,
  });

  it('runs an old job and an old batch found in chat, reads them, and still cancels an old queued job', async () => {
    const chat = new Queue('chat', { connection: client, prefix });
    try {
      const jobId = uuidOf();
      await chat.add('job', oldJob('job'), { jobId, priority: 1 });
      const batchId = uuidOf();
      await saveBatch(client, prefix, { batchId, total: 2, createdAt: Date.now(), customIds: ['a', 'b'] }, 3600);
      await chat.addBulk(
        [0, 1].map((index) => ({
          name: 'batch',
          data: oldJob('batch', { batch_id: batchId }),
          opts: { jobId: batchJobId(batchId, index), priority: 2 ** 20 + index },
        })),
      );
      const waiting = uuidOf();
      await chat.add('job', oldJob('job'), { jobId: waiting, priority: 1, delay: 60_000 });

      expect((await waitForStatus(gateway.baseUrl, jobId, 'completed', 10_000)).result?.content).toEqual(expect.any(String));
      const batch = await waitFor(async () => {
        const view = (await (await fetch(`${gateway.baseUrl}/v1/batches/${batchId}`)).json()) as { done: boolean; counts: Record<string, number> };
        return view.done ? view : undefined;
      }, 10_000);
      expect(batch.counts).toMatchObject({ completed: 2 });
      expect((await jobView(gateway.baseUrl, batchJobId(batchId, 1)))?.status).toBe('completed');

      expect((await jobView(gateway.baseUrl, waiting))?.status).toBe('queued');
      const cancelled = await fetch(`${gateway.baseUrl}/v1/jobs/${waiting}`, { method: 'DELETE' });
      expect(((await cancelled.json()) as { status: string }).status).toBe('cancelled');
      expect(await inQueue('chat', waiting)).toBe(false);
    } finally {
      await chat.close();
    }
  });
});
