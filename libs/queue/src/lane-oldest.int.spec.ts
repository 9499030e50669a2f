import Redis from 'ioredis';
import { startRedis, uniqueQueuePrefix, type TestRedis } from '@gateway/testing';
import { readLaneOldest } from './lane-oldest';
import { createLaneQueues } from './lane-queues';
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
    const queues = createLaneQueues(connection, uniqueQueuePrefix('oldest-empty'), config);
    expect(await readLaneOldest(connection, queues.lanes, 1_000_000)).toEqual({ interactive: 0, job: 0, batch: 0 });
  });

  it('gives each lane the age of its oldest waiting job, whatever its band and however the others stand', async () => {
    const { lanes } = createLaneQueues(connection, uniqueQueuePrefix('oldest'), config);
    const now = 10_000_000;
    await lanes.interactive.add('interactive', data, { jobId: 'i-new', timestamp: now - 2_000 });
    await lanes.interactive.add('interactive', data, { jobId: 'i-old', timestamp: now - 5_000 });
    // The job lane: an old job in a late band (served last) and a young one in the first band.
    await lanes.job.add('job', data, { jobId: 'j-young', priority: lanePriority(0, 0), timestamp: now - 1_000 });
    await lanes.job.add('job', data, { jobId: 'j-old', priority: lanePriority(7, 3), timestamp: now - 42_000 });
    await lanes.batch.add('batch', data, { jobId: 'b', priority: lanePriority(1, 0), timestamp: now - 600_000 });
    expect(await readLaneOldest(connection, lanes, now)).toEqual({ interactive: 5, job: 42, batch: 600 });
  });

  it('counts the work API instances before the lane queues left in chat as interactive', async () => {
    const { lanes } = createLaneQueues(connection, uniqueQueuePrefix('oldest-chat'), config);
    const now = 10_000_000;
    await lanes.interactive.add('interactive', data, { jobId: 'i', timestamp: now - 2_000 });
    await lanes.interactive.add('batch', data, { jobId: 'old-batch', priority: 2 ** 20 + 5, timestamp: now - 70_000 });
    expect(await readLaneOldest(connection, lanes, now)).toEqual({ interactive: 70, job: 0, batch: 0 });
  });

  it('reads only the next jobs of each band: bounded however long the lane', async () => {
    const { lanes } = createLaneQueues(connection, uniqueQueuePrefix('oldest-bounded'), config);
    const now = 10_000_000;
    const jobs = Array.from({ length: 40 }, (_, index) => ({
      name: 'job',
      data,
      // Round 0 is served first; the oldest job sits in round 39, beyond the 16 read.
      opts: { jobId: `j-${index}`, priority: lanePriority(0, index), timestamp: now - (index === 39 ? 900_000 : 10_000) },
    }));
    await lanes.job.addBulk(jobs);
    expect((await readLaneOldest(connection, lanes, now)).job).toBe(10);
    expect((await readLaneOldest(connection, lanes, now, 40)).job).toBe(900);
  });
});
