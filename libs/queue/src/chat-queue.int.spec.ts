import { Redis } from 'ioredis';
import { startRedis, uniqueQueuePrefix, waitFor, type TestRedis } from '@gateway/testing';
import { addJobsInChunks, createChatQueue, createChatWorker, removeUnstartedJob } from './chat-queue';

const data = { request_id: 'r', model: 'mock/x', messages: [{ role: 'user' as const, content: 'hi' }], accepted_at: Date.now() };
const config = {
  queue: { prefix: 'gw', retentionSeconds: 60 },
  worker: { concurrency: 1, lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, jobConcurrency: 1, batchConcurrency: 1 },
};

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('removeUnstartedJob', () => {
  it('removes a job no worker has taken, and keeps a finished one with its result', async () => {
    const prefix = uniqueQueuePrefix('rm');
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = createChatQueue(connection, prefix, config);
    await queue.add('chat', data, { jobId: 'waiting-job', delay: 60_000 });
    expect(await removeUnstartedJob(queue, 'waiting-job')).toBe(true);
    expect(await queue.getJob('waiting-job')).toBeUndefined();

    const result = {
      content: 'done',
      model: 'x',
      provider: 'mock' as const,
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      cost_usd: 0,
      finish_reason: 'stop',
    };
    const workerConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const worker = createChatWorker(async () => result, { connection: workerConnection, prefix, config });
    await queue.add('chat', data, { jobId: 'finished-job' });
    await waitFor(async () => (await queue.getJobState('finished-job')) === 'completed', 5000);
    expect(await removeUnstartedJob(queue, 'finished-job')).toBe(false);
    expect((await queue.getJob('finished-job'))?.returnvalue).toEqual(result);
    expect(await removeUnstartedJob(queue, 'no-such-job')).toBe(false);
    await worker.close();
    await queue.close();
    workerConnection.disconnect();
    connection.disconnect();
  });
});

describe('addJobsInChunks', () => {
  it('adds thousands of jobs in chunks, each one once', async () => {
    const prefix = uniqueQueuePrefix('bulk');
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = createChatQueue(connection, prefix, config);
    await addJobsInChunks(
      queue,
      Array.from({ length: 2500 }, (_, index) => ({ name: 'chat', data, opts: { jobId: `b-${index}` } })),
    );
    expect(await queue.getWaitingCount()).toBe(2500);
    expect((await queue.getJob('b-2499'))?.data).toEqual(data);
    await queue.close();
    connection.disconnect();
  });

  it('takes the jobs of the chunks that went in back out when another chunk fails, and throws', async () => {
    const prefix = uniqueQueuePrefix('bulk');
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = createChatQueue(connection, prefix, config);
    // An integer job id is refused (by BullMQ, before Redis): the second chunk fails, the first went in.
    const jobs = Array.from({ length: 1500 }, (_, index) => ({ name: 'chat', data, opts: { jobId: index === 1200 ? '1200' : `b-${index}` } }));
    await expect(addJobsInChunks(queue, jobs)).rejects.toThrow();
    expect(await queue.getWaitingCount()).toBe(0);
    expect(await queue.getJob('b-0')).toBeUndefined();
    expect(await queue.getJob('b-999')).toBeUndefined();
    await queue.close();
    connection.disconnect();
  });
});
