import { Redis } from 'ioredis';
import { UnrecoverableError } from 'bullmq';
import { startRedis, uniqueQueuePrefix, waitFor, type TestRedis } from '@gateway/testing';
import { addJobsInChunks, createChatQueue, createChatWorker } from './chat-queue';
import { markJobCancelled, readJobViews } from './job-states';

const config = {
  queue: { prefix: 'gw', retentionSeconds: 60 },
  worker: { concurrency: 50, lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, interactiveSlots: 0, laneMinShare: 0.1 },
};
const data = (content: string) => ({ request_id: 'r', model: 'mock/x', messages: [{ role: 'user' as const, content }], accepted_at: Date.now() });
const resultOf = (content: string) => ({
  content: `answer to ${content}`,
  model: 'x',
  provider: 'mock' as const,
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
  cost_usd: 0,
  finish_reason: 'stop',
});

let redis: TestRedis;
const connections: Redis[] = [];
const connect = () => {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  connections.push(connection);
  return connection;
};
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  await redis?.stop();
});

describe('readJobViews', () => {
  // More jobs than one script reads (500), so the pages' seams are crossed: each job's view lands at its own index.
  it('reads every state of 1,300 jobs in order, with and without results', async () => {
    const prefix = uniqueQueuePrefix('views');
    const client = connect();
    const queue = createChatQueue(client, prefix, config);
    const ids = Array.from({ length: 1300 }, (_, index) => `job-${index}`);
    // Even jobs complete, every third odd one fails; the others are added after the worker stops (queued).
    const kindOf = (index: number) => (index % 2 === 0 ? 'done' : index % 3 === 0 ? 'fail' : 'later');
    const worker = createChatWorker(
      async (job) => {
        if (job.name === 'fail') throw new UnrecoverableError(JSON.stringify({ type: 'upstream_error', message: `failed ${job.id}` }));
        return resultOf(job.id!);
      },
      { connection: connect(), prefix, config },
    );
    const run = ids.flatMap((jobId, index) => (kindOf(index) === 'later' ? [] : [{ name: kindOf(index), data: data(jobId), opts: { jobId } }]));
    await addJobsInChunks(queue, run);
    await waitFor(async () => (await queue.getJobCountByTypes('completed', 'failed')) === run.length, 20_000);
    await worker.close();
    await addJobsInChunks(
      queue,
      ids.flatMap((jobId, index) => (kindOf(index) === 'later' ? [{ name: 'later', data: data(jobId), opts: { jobId } }] : [])),
    );
    // One queued job marked started (a worker holds it), one result no longer JSON, one cancelled before it was
    // ever added, and an id no job has.
    await client.hset(queue.toKey('job-1'), 'processedOn', String(Date.now()));
    await client.hset(queue.toKey('job-2'), 'returnvalue', 'not json');
    await markJobCancelled(client, prefix, 'never-added', 60);
    const asked = [...ids, 'never-added', 'unknown'];

    const withResults = await readJobViews(client, queue, prefix, asked, true);
    const plain = await readJobViews(client, queue, prefix, asked, false);
    expect(withResults).toHaveLength(asked.length);
    expect(plain).toHaveLength(asked.length);
    ids.forEach((jobId, index) => {
      const view = withResults[index];
      if (jobId === 'job-1') expect(view).toEqual({ job_id: jobId, status: 'active' });
      else if (jobId === 'job-2') expect(view).toMatchObject({ job_id: jobId, status: 'failed', error: { type: 'internal_error' } });
      else if (kindOf(index) === 'done') expect(view).toEqual({ job_id: jobId, status: 'completed', result: resultOf(jobId) });
      else if (kindOf(index) === 'fail')
        expect(view).toMatchObject({ job_id: jobId, status: 'failed', error: { type: 'upstream_error', message: `failed ${jobId}` } });
      else expect(view).toEqual({ job_id: jobId, status: 'queued' });
      // Without results: the same states, no result read.
      expect(plain[index]?.status).toBe(jobId === 'job-2' ? 'completed' : view?.status);
      expect(plain[index]).not.toHaveProperty('result');
    });
    expect(withResults.slice(-2)).toEqual([{ job_id: 'never-added', status: 'cancelled' }, undefined]);
    expect(await readJobViews(client, queue, prefix, [], true)).toEqual([]);
  });
});
