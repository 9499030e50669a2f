import { Redis } from 'ioredis';
import { startRedis, uniqueLimitsPrefix, type TestRedis } from '@gateway/testing';
import { createBatchCaps } from './batch-cap';
import { limitKeys } from './keys';
import type { LimitsPrefix } from '@gateway/queue';

let redis: TestRedis;
let clients: Redis[];
beforeAll(async () => {
  redis = await startRedis();
  // Several connections: the starts race as they would from several workers.
  clients = Array.from({ length: 4 }, () => new Redis(redis.url));
});
afterAll(async () => {
  for (const client of clients ?? []) client.disconnect();
  await redis?.stop();
});

const capsOn = (prefix: LimitsPrefix) => clients.map((client) => createBatchCaps({ redis: client, prefix, ttlSeconds: 600 }));

describe('batch spend caps', () => {
  it('lets concurrent starts take exactly the room below the cap, then books real costs and releases', async () => {
    const prefix = uniqueLimitsPrefix('batch-cap');
    const caps = capsOn(prefix);
    const cap = { batch_id: 'b1', max_cost_usd: 10 };
    await caps[0]!.open('b1', 10);
    expect(await caps[0]!.spend('b1')).toEqual({ capUsd: 10, spentUsd: 0, inFlightUsd: 0 });
    const starts = await Promise.all(Array.from({ length: 50 }, (_, index) => caps[index % caps.length]!.start(`job-${index}`, cap, 1)));
    const started = starts.flatMap((start, index) => (start.started ? [`job-${index}`] : []));
    expect(started).toHaveLength(10);
    expect(starts.find((start) => !start.started)).toEqual({ started: false, capUsd: 10, spentUsd: 0, inFlightUsd: 10 });

    // Three finish at their real cost (once each, however often settled), two fail (their reservations come back).
    for (const jobId of started.slice(0, 3)) {
      await caps[1]!.settle(jobId, 'b1', 1);
      await caps[2]!.settle(jobId, 'b1', 1);
    }
    for (const jobId of started.slice(3, 5)) await caps[3]!.settle(jobId, 'b1', undefined);
    expect(await caps[0]!.spend('b1')).toEqual({ capUsd: 10, spentUsd: 3, inFlightUsd: 5 });
    // A re-run of a started job (after a stall) runs without reserving again.
    expect(await caps[0]!.start(started[5]!, cap, 1)).toEqual({ started: true });
    expect(await caps[0]!.spend('b1')).toMatchObject({ inFlightUsd: 5 });
    // 3 spent + 5 in flight: room for two more.
    const more = await Promise.all(Array.from({ length: 10 }, (_, index) => caps[index % caps.length]!.start(`late-${index}`, cap, 1)));
    expect(more.filter((start) => start.started)).toHaveLength(2);
    expect(await clients[0]!.ttl(limitKeys.batchSpend(prefix, 'b1'))).toBeGreaterThan(0);
  });

  it('stops once the spend reaches the cap, even when requests cost more than they reserved', async () => {
    const prefix = uniqueLimitsPrefix('batch-cap');
    const [caps] = capsOn(prefix);
    const cap = { batch_id: 'b2', max_cost_usd: 0.05 };
    const ran: number[] = [];
    for (let index = 0; index < 20; index += 1) {
      const start = await caps!.start(`job-${index}`, cap, 0.001);
      if (!start.started) continue;
      ran.push(index);
      await caps!.settle(`job-${index}`, 'b2', 0.01);
    }
    expect(ran).toHaveLength(5);
    expect(await caps!.spend('b2')).toEqual({ capUsd: 0.05, spentUsd: 0.05, inFlightUsd: 0 });
  });

  it('has no spend for a batch without a cap, and its hash lapses with the batch', async () => {
    const prefix = uniqueLimitsPrefix('batch-cap');
    const [caps] = capsOn(prefix);
    expect(await caps!.spend('none')).toBeUndefined();
    await caps!.start('job-0', { batch_id: 'b3', max_cost_usd: 1 }, 0.1);
    const ttl = await clients[0]!.ttl(limitKeys.batchSpend(prefix, 'b3'));
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(600);
  });
});
