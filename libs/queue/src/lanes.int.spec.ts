import { Redis } from 'ioredis';
import { startRedis, uniqueQueuePrefix, waitFor, type TestRedis } from '@gateway/testing';
import { createChatQueue, createChatWorker, type ChatQueue } from './chat-queue';
import { chatPromoteKeys, promoteLaneJobs } from './lane-promote';
import { readLaneBacklog } from './lane-backlog';
import { laneLayout, laneOfPriority, lanePriorities, lanePriority, laneRange } from './lanes';

const data = { request_id: 'r', model: 'mock/x', messages: [{ role: 'user' as const, content: 'hi' }], accepted_at: Date.now() };
const config = {
  queue: { prefix: 'gw', retentionSeconds: 60 },
  worker: { concurrency: 1, lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, interactiveSlots: 0, laneMinShare: 0.1 },
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
    const queue = createChatQueue(connection, uniqueQueuePrefix('rounds'), config);
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
    const queue = createChatQueue(connection, uniqueQueuePrefix('weights'), config);
    await enqueue(queue, 'job', 'a', 6);
    await enqueue(queue, 'job', 'h', 9, { weight: 3 });
    expect((await order(queue)).slice(0, 8)).toEqual(['a', 'h', 'h', 'h', 'a', 'h', 'h', 'h']);
  });

  it('orders bands before rounds, and keeps lanes apart', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('bands'), config);
    await enqueue(queue, 'batch', 'slow', 3, { priority: 900 });
    await enqueue(queue, 'batch', 'soon', 3, { priority: 1 });
    await enqueue(queue, 'job', 'job', 1);
    expect(await order(queue)).toEqual(['job', 'soon', 'soon', 'soon', 'slow', 'slow', 'slow']);
  });

  it('starts rounds again at 0 once a band has drained (no stale round holds a tenant back)', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('generations'), config);
    await enqueue(queue, 'batch', 'a', 50);
    await take(queue, 50);
    await enqueue(queue, 'batch', 'b', 1);
    await enqueue(queue, 'batch', 'a', 1);
    const scores = await connection.zrange(queue.keys['prioritized']!, '0', '-1', 'WITHSCORES');
    expect(Math.floor(Number(scores[1]) / 2 ** 32)).toBe(lanePriority('batch', 0, 0));
    expect(Math.floor(Number(scores[3]) / 2 ** 32)).toBe(lanePriority('batch', 0, 0));
    expect(laneOfPriority(lanePriority('batch', 0, 0))).toBe('batch');
  });

  it('reports each tenant’s backlog and the lanes’ depth', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('backlog'), config);
    await enqueue(queue, 'batch', 'agent:big', 30);
    await take(queue, 10);
    await enqueue(queue, 'batch', 'agent:small', 5);
    await enqueue(queue, 'job', 'key:k1', 2);
    await queue.add('interactive', data, { jobId: 'now' });
    const backlog = await readLaneBacklog(connection, queue);
    expect(backlog.lanes).toEqual({ interactive: 1, job: 2, batch: 25 });
    expect(backlog.tenants).toEqual([
      { lane: 'job', tenant: 'key:k1', backlog: 2 },
      { lane: 'batch', tenant: 'agent:big', backlog: 20 },
      { lane: 'batch', tenant: 'agent:small', backlog: 5 },
    ]);
  });
});

describe('promoteLaneJobs', () => {
  it('moves a lane’s first jobs, in fair-share order, to the wait list, where a worker takes them first', async () => {
    const prefix = uniqueQueuePrefix('promote');
    const queue = createChatQueue(connection, prefix, config);
    const ids = await enqueue(queue, 'batch', 'a', 5);
    await enqueue(queue, 'job', 'j', 3);
    const moved = await promoteLaneJobs(connection, chatPromoteKeys(prefix), laneRange('batch'), 2);
    expect(moved).toBe(2);
    expect(await connection.lrange(queue.keys['wait']!, 0, -1)).toEqual([ids[1], ids[0]]);
    const taken: string[] = [];
    const worker = createChatWorker(
      async (job) => {
        taken.push(job.id!);
        return {
          content: '',
          model: 'x',
          provider: 'mock' as const,
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
          cost_usd: 0,
          finish_reason: 'stop',
        };
      },
      { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix, config },
    );
    try {
      await waitFor(() => taken.length >= 3, 5000, 25);
      expect(taken.slice(0, 3)).toEqual([ids[0], ids[1], expect.stringMatching(/^j-/)]);
      expect((await queue.getJob(ids[0]!))?.priority).toBe(0);
    } finally {
      await worker.close();
    }
    expect(laneLayout.bands).toBe(8);
  });
});
