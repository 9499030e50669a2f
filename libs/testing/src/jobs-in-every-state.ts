import { Redis } from 'ioredis';
import { UnrecoverableError } from 'bullmq';
import type { ChatJobResult } from '@gateway/contracts';
import { addJobsInChunks, createChatQueue, createChatWorker, type ChatQueue, type QueuePrefix } from '@gateway/queue';
import { waitFor } from './async-helpers';
import { startRedis, uniqueQueuePrefix, type TestRedis } from './start-redis';

/** The queue settings of the job-state suites: one worker, no lanes' reserve, results kept for a minute. */
export const jobStatesConfig = {
  queue: { prefix: 'gw', retentionSeconds: 60 },
  worker: { concurrency: 50, lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, jobConcurrency: 50, batchConcurrency: 50 },
};

/** What a job of `jobsInEveryState` is: completed, failed, or queued (added after the worker stopped). */
export type JobKind = 'done' | 'fail' | 'later';

/** Even jobs complete, every third odd one fails; the others are queued. */
export const kindOfJob = (index: number): JobKind => (index % 2 === 0 ? 'done' : index % 3 === 0 ? 'fail' : 'later');

/** A suite's Redis, and connections to it closed with the suite. */
export function useJobStatesRedis(): { connect: () => Redis } {
  let redis: TestRedis | undefined;
  const connections: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const connection of connections) connection.disconnect();
    await redis?.stop();
  });
  return {
    connect: () => {
      if (!redis) throw new Error('the suite Redis is read before beforeAll ran');
      const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
      connections.push(connection);
      return connection;
    },
  };
}

/**
 * `count` jobs `job-0`… in a new queue, each in the state kindOfJob gives it: completed with `resultOf(jobId)`,
 * failed with an upstream error naming it, or queued. More than 500 crosses the seams of the scripts that read jobs in
 * pages.
 */
export async function jobsInEveryState(
  connect: () => Redis,
  name: string,
  count: number,
  resultOf: (jobId: string) => ChatJobResult,
): Promise<{ client: Redis; queue: ChatQueue; prefix: QueuePrefix; ids: string[] }> {
  const prefix = uniqueQueuePrefix(name);
  const client = connect();
  const queue = createChatQueue(client, prefix, jobStatesConfig);
  const ids = Array.from({ length: count }, (_, index) => `job-${index}`);
  const data = (content: string) => ({ request_id: 'r', model: 'mock/x', messages: [{ role: 'user' as const, content }], accepted_at: Date.now() });
  const worker = createChatWorker(
    async (job) => {
      if (job.name === 'fail') throw new UnrecoverableError(JSON.stringify({ type: 'upstream_error', message: `failed ${job.id}` }));
      return resultOf(job.id!);
    },
    { connection: connect(), prefix, config: jobStatesConfig },
  );
  const jobsOf = (wanted: (kind: JobKind) => boolean) =>
    ids.flatMap((jobId, index) => (wanted(kindOfJob(index)) ? [{ name: kindOfJob(index), data: data(jobId), opts: { jobId } }] : []));
  const run = jobsOf((kind) => kind !== 'later');
  await addJobsInChunks(queue, run);
  await waitFor(async () => (await queue.getJobCountByTypes('completed', 'failed')) === run.length, 20_000);
  await worker.close();
  await addJobsInChunks(
    queue,
    jobsOf((kind) => kind === 'later'),
  );
  return { client, queue, prefix, ids };
}
