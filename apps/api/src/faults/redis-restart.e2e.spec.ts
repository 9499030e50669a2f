import { Redis } from 'ioredis';
import { queueNameOfJob } from '@gateway/queue';
import {
  alive,
  callsFor,
  noRateLimit,
  postJson,
  scriptedBehaviour,
  startFakeOpenRouter,
  startGateway,
  startRedis,
  stopAll,
  submitJob,
  uniquePrefix,
  usageToday,
  waitFor,
  waitForFinished,
  type FakeOpenRouter,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

jest.setTimeout(120_000);

let redis: TestRedis;
let fake: FakeOpenRouter;
let gateway: GatewayProcesses;
const prefix = uniquePrefix('rrestart');

beforeAll(async () => {
  // Append-only persistence (fsync always): what the gateway needs for accepted jobs to survive a restart.
  redis = await startRedis({ spawn: true, appendOnly: true });
  fake = await startFakeOpenRouter({ apiKey: 'sk-or-faults', behave: scriptedBehaviour });
  gateway = await startGateway(
    {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      LLM_PROVIDER: 'openrouter',
      OPENROUTER_API_KEY: 'sk-or-faults',
      OPENROUTER_BASE_URL: fake.baseUrl,
      WORKER_CONCURRENCY: '4',
      WORKER_LOCK_DURATION_MS: '3000',
      WORKER_STALLED_INTERVAL_MS: '1500',
      ...noRateLimit,
    },
    { workers: 2 },
  );
});
afterAll(() => stopAll(gateway, fake, redis));

describe('Redis restarted under load (append-only on)', () => {
  it('answers 503 promptly while down, keeps every process up, and completes every job accepted before', async () => {
    // 8 slots across the two workers: some jobs are mid-call, the rest wait in the queue when Redis dies.
    const contents = Array.from({ length: 24 }, (_, index) => `slow:1500 before-${index}`);
    const accepted = [];
    for (const content of contents) accepted.push(await submitJob(gateway.baseUrl, content));
    await waitFor(() => fake.requests.length >= 4, 20_000);

    await redis.kill(true);
    const started = Date.now();
    expect((await fetch(`${gateway.baseUrl}/healthz`)).status).toBe(503);
    for (const path of ['/v1/chat', '/v1/jobs']) {
      const down = await postJson(`${gateway.baseUrl}${path}`, { messages: [{ role: 'user', content: 'while down' }] });
      expect([path, down.status, down.body]).toEqual([path, 503, expect.objectContaining({ error: expect.objectContaining({ type: 'unavailable' }) })]);
    }
    expect((await fetch(`${gateway.baseUrl}/v1/jobs/${accepted[0]}`)).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Down for a while (longer than a lock): the workers keep reconnecting, nobody exits.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect([gateway.api, ...gateway.workers].map((app) => alive(app.child))).toEqual([true, true, true]);

    await redis.restart();
    await waitFor(async () => (await fetch(`${gateway.baseUrl}/healthz`)).status === 200, 30_000, 200);
    const views = await waitForFinished(gateway.baseUrl, accepted, 90_000);
    expect(views.map((view) => view.status)).toEqual(Array(accepted.length).fill('completed'));
    views.forEach((view, index) => expect(view.result?.content).toBe(`re ${contents[index]}`));
    // A call cut by the outage may have run twice (at-least-once); none three times, none zero.
    for (const content of contents) expect([1, 2]).toContain(callsFor(fake, content));
    // Billed once per provider call: a job run twice made two calls, and the cut one is billed too (at most its
    // reservation, nothing better being known of it), never twice.
    const usage = await usageToday(gateway.baseUrl);
    const calls = contents.map((content) => callsFor(fake, content));
    const redisClient = new Redis(redis.url);
    const reserved = await Promise.all(
      accepted.map(
        async (id) =>
          (JSON.parse((await redisClient.hget(`${prefix}:${queueNameOfJob(id)}:${id}`, 'data')) ?? '{}') as { reserved_usd?: number }).reserved_usd ?? 0,
      ),
    );
    redisClient.disconnect();
    const cutCallsAtMostUsd = reserved.reduce((sum, usd, index) => sum + (calls[index] === 2 ? usd : 0), 0);
    expect(usage.jobs).toBe(calls.reduce((sum, count) => sum + count, 0));
    expect(usage.spent_usd).toBeGreaterThanOrEqual(contents.length * 0.00001 - 1e-9);
    expect(usage.spent_usd).toBeLessThanOrEqual(contents.length * 0.00001 + cutCallsAtMostUsd + 1e-9);

    const after = await postJson(`${gateway.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'after' }] });
    expect(after.status).toBe(200);
    expect([gateway.api, ...gateway.workers].map((app) => alive(app.child))).toEqual([true, true, true]);
  });
});
