import Redis from 'ioredis';
import { startRedis, uniqueQueuePrefix, type TestRedis } from '@gateway/testing';
import { createChatQueue } from './chat-queue';
import { readLaneOldest } from './lane-oldest';
import { lanePriority } from './lanes';

const data = { request_id: 'r', model: 'mock/x', messages: [{ role: 'user' as const, content: 'hi' }], accepted_at: 0 };
const config = { queue: { prefix: 'gw', retentionSeconds: 60 } };

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

describe('readLaneOldest', () => {
  it('answers 0 for every lane while nothing waits', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('oldest-empty'), config);
    expect(await readLaneOldest(connection, queue, 1_000_000)).toEqual({ interactive: 0, job: 0, batch: 0 });
  });

  it('gives each lane the age of its oldest waiting job, whatever its band and however the others stand', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('oldest'), config);
    const now = 10_000_000;
    await queue.add('interactive', data, { jobId: 'i-new', timestamp: now - 2_000 });
    await queue.add('interactive', data, { jobId: 'i-old', timestamp: now - 5_000 });
    // The job lane: an old job in a late band (served last) and a young one in the first band.
    await queue.add('job', data, { jobId: 'j-young', priority: lanePriority('job', 0, 0), timestamp: now - 1_000 });
    await queue.add('job', data, { jobId: 'j-old', priority: lanePriority('job', 7, 3), timestamp: now - 42_000 });
    await queue.add('batch', data, { jobId: 'b', priority: lanePriority('batch', 1, 0), timestamp: now - 600_000 });
    expect(await readLaneOldest(connection, queue, now)).toEqual({ interactive: 5, job: 42, batch: 600 });
  });

  it('reads only the next jobs of each band: bounded however long the lane', async () => {
    const queue = createChatQueue(connection, uniqueQueuePrefix('oldest-bounded'), config);
    const now = 10_000_000;
    const jobs = Array.from({ length: 40 }, (_, index) => ({
      name: 'job',
      data,
      // Round 0 is served first; the oldest job sits in round 39, beyond the 16 read.
      opts: { jobId: `j-${index}`, priority: lanePriority('job', 0, index), timestamp: now - (index === 39 ? 900_000 : 10_000) },
    }));
    await queue.addBulk(jobs);
    expect((await readLaneOldest(connection, queue, now)).job).toBe(10);
    expect((await readLaneOldest(connection, queue, now, 40)).job).toBe(900);
  });
});
