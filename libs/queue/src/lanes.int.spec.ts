import { Redis } from 'ioredis';
import { startRedis, uniqueQueuePrefix, waitFor, type TestRedis } from '@gateway/testing';
import { createChatQueue, createChatWorker, type ChatQueue } from './chat-queue';
import { readLaneBacklog } from './lane-backlog';
import { createLaneQueues } from './lane-queues';
import { laneLayout, lanePriorities, lanePriority, laneRange } from './lanes';

const data = { request_id: 'r', model: 'mock/x', messages: [{ role: 'user' as const, content: 'hi' }], accepted_at: Date.now() };
const config = {
  queue: { prefix: 'gw', retentionSeconds: 60 },
  worker: { concurrency: 1, lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, jobConcurrency: 1, batchConcurrency: 1 },
};

let redis: TestRedis;
let connection: Redis;
beforeAll(async () => {
  redis = await startRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  connection?.disconnect();
  await redis?.stop();
});

/** Adds jobs with the priorities the lane gives them; returns their ids in the order a worker takes them. */
async function enqueue(
  queue: ChatQueue,
  lane: 'job' | 'batch',
  tenant: string,
  count: number,
  options: { weight?: number; priority?: number } = {},
): Promise<string[]> {
  const priorities = await lanePriorities(
    connection,
    queue,
    lane,
    Array.from({ length: count }, () => ({ tenant, priority: options.priority, weight: options.weight })),
  );
  const ids = priorities.map((_, index) => `${tenant.replace(/:/g, '_')}-${options.priority ?? 0}-${index}-${Math.random().toString(36).slice(2, 8)}`);
  await queue.addBulk(priorities.map((priority, index) => ({ name: lane, data, opts: { jobId: ids[index]!, priority } })));
  return ids;
}

/** The tenants of the waiting prioritized jobs, in the order a worker would take them. */
async function order(queue: ChatQueue): Promise<string[]> {
  const ids = await connection.zrange(queue.keys['prioritized']!, '0', '-1');
  return ids.map((id) => id.split('-')[0]!);
}

/** Takes the next `count` jobs off the queue the way workers do (ZPOPMIN of the prioritized set). */
async function take(queue: ChatQueue, count: number): Promise<void> {
  await connection.zpopmin(queue.keys['prioritized']!, count);
}

describe('fair-share rounds', () => {
  it('lets tenants take turns, a late tenant starting level with the others at the current round', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('rounds'), config, 'batch');
    await enqueue(queue, 'batch', 'a', 10);
    await take(queue, 4);
    await enqueue(queue, 'batch', 'b', 3);
    // b starts at a's current round (4): a4 b0 a5 b1 a6 b2, then the rest of a.
    expect(await order(queue)).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'a', 'a']);
    // a's next requests continue after its own last round, behind nothing of b's.
    await enqueue(queue, 'batch', 'b', 1);
    expect((await order(queue)).slice(0, 8)).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('gives a tenant of weight 3 three turns per round of the others', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('weights'), config, 'job');
    await enqueue(queue, 'job', 'a', 6);
    await enqueue(queue, 'job', 'h', 9, { weight: 3 });
    expect((await order(queue)).slice(0, 8)).toEqual(['a', 'h', 'h', 'h', 'a', 'h', 'h', 'h']);
  });

  it('orders bands before rounds, each lane in its own queue with rounds of its own', async () => {
    const prefix = uniqueQueuePrefix('bands');
    const batches = createChatQueue(connection, prefix, config, 'batch');
    const jobs = createChatQueue(connection, prefix, config, 'job');
    await enqueue(batches, 'batch', 'slow', 3, { priority: 900 });
    await enqueue(batches, 'batch', 'soon', 3, { priority: 1 });
    await enqueue(jobs, 'job', 'slow', 1);
    expect(await order(batches)).toEqual(['soon', 'soon', 'soon', 'slow', 'slow', 'slow']);
    expect(batches.name).toBe('chat-batch');
    // The job lane's rounds are its own: its first request takes round 0 of its band whatever the batch lane holds.
    expect(await order(jobs)).toEqual(['slow']);
    const [, score] = await connection.zrange(jobs.keys['prioritized']!, '0', '0', 'WITHSCORES');
    expect(Math.floor(Number(score) / 2 ** 32)).toBe(lanePriority(0, 0));
  });

  it('uses the whole range of BullMQ priorities in each lane', () => {
    expect(laneLayout.bands).toBe(8);
    expect(laneLayout.roundsPerBand).toBe(262_143);
    expect(lanePriority(0, 0)).toBe(1);
    expect(lanePriority(laneLayout.bands - 1, Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(2 ** 21 - 1);
    expect(laneRange().high).toBeLessThanOrEqual(2 ** 21);
  });

  it('starts rounds again at 0 once a band has drained (no stale round holds a tenant back)', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('generations'), config, 'batch');
    await enqueue(queue, 'batch', 'a', 50);
    await take(queue, 50);
    await enqueue(queue, 'batch', 'b', 1);
    await enqueue(queue, 'batch', 'a', 1);
    const scores = await connection.zrange(queue.keys['prioritized']!, '0', '-1', 'WITHSCORES');
    expect(Math.floor(Number(scores[1]) / 2 ** 32)).toBe(lanePriority(0, 0));
    expect(Math.floor(Number(scores[3]) / 2 ** 32)).toBe(lanePriority(0, 0));
  });

  it('reports each tenant’s backlog and the lanes’ depth, old-style work left in chat as interactive', async () => {
    const queues = createLaneQueues(connection, uniqueQueuePrefix('backlog'), config);
    await enqueue(queues.lanes.batch, 'batch', 'agent:big', 30);
    await take(queues.lanes.batch, 10);
    await enqueue(queues.lanes.batch, 'batch', 'agent:small', 5);
    await enqueue(queues.lanes.job, 'job', 'key:k1', 2);
    await queues.lanes.interactive.add('interactive', data, { jobId: 'now' });
    // A job lane's job as API instances before the lane queues added it: prioritized, in `chat`.
    await queues.lanes.interactive.add('job', data, { jobId: 'old', priority: 5 });
    const backlog = await readLaneBacklog(connection, queues.lanes);
    expect(backlog.lanes).toEqual({ interactive: 2, job: 2, batch: 25 });
    expect(backlog.tenants).toEqual([
      { lane: 'job', tenant: 'key:k1', backlog: 2 },
      { lane: 'batch', tenant: 'agent:big', backlog: 20 },
      { lane: 'batch', tenant: 'agent:small', backlog: 5 },
    ]);
  });
});

describe('a queue per lane', () => {
  const result = {
    content: '',
    model: 'x',
    provider: 'mock' as const,
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    cost_usd: 0,
    finish_reason: 'stop' as const,
  };

  it('gives each lane’s consumer its own queue’s jobs only, and the chat consumer old-style lane jobs after interactive ones', async () => {
    const prefix = uniqueQueuePrefix('per-lane');
    const queues = createLaneQueues(connection, prefix, config);
    await enqueue(queues.lanes.batch, 'batch', 'b', 3);
    // As an API instance before the lane queues did: a job-lane job in `chat`, with a priority, then interactive work.
    await queues.lanes.interactive.add('job', data, { jobId: 'old-job', priority: 7 });
    await queues.lanes.interactive.add('interactive', data, { jobId: 'now' });
    const taken: Record<string, string[]> = { interactive: [], batch: [] };
    const workers = (['interactive', 'batch'] as const).map((lane) =>
      createChatWorker(
        async (job) => {
          taken[lane]!.push(job.id!);
          return result;
        },
        { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix, config, lane },
      ),
    );
    try {
      await waitFor(() => taken['interactive']!.length >= 2 && taken['batch']!.length >= 3, 5000, 25);
      expect(taken['interactive']).toEqual(['now', 'old-job']);
      expect(taken['batch']).toHaveLength(3);
      expect(taken['batch']!.every((id) => id.startsWith('b-'))).toBe(true);
      expect(await queues.lanes.job.count()).toBe(0);
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
    }
  });
});
