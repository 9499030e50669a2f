import { Redis } from 'ioredis';
import { queueNameOfJob } from '@gateway/queue';
import { alive, noRateLimit, usageToday, callsFor, postSse, scriptedBehaviour, submitJob, useGateway, waitFor, waitForFinished } from '@gateway/testing';

// Stall detection bounded for the test: a dead worker's job is taken over after at most
// lock (2 s) + stalled interval (1 s). Healthy calls renew their lock every second, so they keep their job.
const lockMs = 2000;
const stalledIntervalMs = 1000;
jest.setTimeout(120_000);

const suite = useGateway({
  name: 'wkill',
  openRouter: { apiKey: 'sk-or-faults', behave: scriptedBehaviour },
  env: {
    // Shorter than the streamed call below: only its silences count, not its length.
    PROVIDER_TIMEOUT_MS: '8000',
    CHAT_TIMEOUT_MS: '60000',
    WORKER_LOCK_DURATION_MS: String(lockMs),
    WORKER_STALLED_INTERVAL_MS: String(stalledIntervalMs),
    ...noRateLimit,
  },
  gateway: false,
});
const { redis, fake, env } = suite;
const api = suite.addApi();

describe('a worker killed mid-call', () => {
  it('has every job it held taken over by the other worker and completed, none lost, none run more than twice', async () => {
    const first = await suite.startWorker('SIGKILL');
    // Calls of 6 s (under the provider timeout): three lock durations, so the lock must be renewed for the survivor to finish them once.
    const held = await Promise.all(
      Array.from({ length: 12 }, (_, index) => `slow:6000 held-${index}`).map(async (content) => ({ content, id: await submitJob(api.baseUrl, content) })),
    );
    await waitFor(() => held.every(({ content }) => callsFor(fake, content) === 1), 30_000);

    const second = await suite.startWorker('SIGKILL');
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await first.exited();

    // Steady load goes on while the survivor takes over.
    const later: { content: string; id: string }[] = [];
    for (let index = 0; index < 12; index += 1) {
      const content = `slow:200 later-${index}`;
      later.push({ content, id: await submitJob(api.baseUrl, content) });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    await waitFor(() => held.every(({ content }) => callsFor(fake, content) === 2), 30_000);
    const takeoverMs = Date.now() - killedAt;
    const views = await waitForFinished(
      api.baseUrl,
      [...held, ...later].map((job) => job.id),
      60_000,
    );
    expect(views.map((view) => view.status)).toEqual(Array(held.length + later.length).fill('completed'));
    views.forEach((view, index) => expect(view.result?.content).toBe(`re ${[...held, ...later][index]!.content}`));
    // The dead worker's calls were run again once each; nothing else twice.
    expect(held.map(({ content }) => callsFor(fake, content))).toEqual(Array(held.length).fill(2));
    expect(later.map(({ content }) => callsFor(fake, content))).toEqual(Array(later.length).fill(1));
    expect(alive(second.child)).toBe(true);
    // Bound: lock + stalled interval, plus generous slack for a busy machine.
    expect(takeoverMs).toBeLessThan(lockMs + stalledIntervalMs + 15_000);

    // Billed once per provider call: every job's finished call at its cost (the fake charges 0.00001 per call), and
    // each call the killed worker left unbilled at its job's reservation (nothing better is known of it), once, when
    // the job was taken over; each job id has its idempotency record in Redis.
    const jobs = [...held, ...later];
    const redisClient = new Redis(redis.url);
    const reservedUsd = async (id: string) =>
      (JSON.parse((await redisClient.hget(`${env['QUEUE_PREFIX']}:${queueNameOfJob(id)}:${id}`, 'data')) ?? '{}') as { reserved_usd?: number }).reserved_usd ??
      0;
    const deadCallsUsd = (await Promise.all(held.map(({ id }) => reservedUsd(id)))).reduce((sum, usd) => sum + usd, 0);
    const usage = await usageToday(api.baseUrl);
    process.stdout.write(
      `worker SIGKILL: ${held.length} calls killed, spent_usd ${usage.spent_usd} (finished calls ${jobs.length * 0.00001}, killed calls at their reservations ${deadCallsUsd})\n`,
    );
    expect(deadCallsUsd).toBeGreaterThan(0);
    expect(usage.jobs).toBe(jobs.length + held.length);
    expect(usage.spent_usd).toBeCloseTo(jobs.length * 0.00001 + deadCallsUsd, 9);
    expect(usage.in_flight_usd).toBe(0);
    const records = await Promise.all(jobs.map(({ id }) => redisClient.get(`${env['QUEUE_PREFIX']}:budget:{spend}:job:${id}`)));
    redisClient.disconnect();
    expect(records).toEqual(Array(jobs.length).fill('settled'));
  });

  it('keeps a healthy streamed call lasting several lock durations on one worker, run once', async () => {
    const content = 'drip:300:30 long stream';
    const result = await postSse(`${api.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content }] });
    expect(result.status).toBe(200);
    const text = result.events
      .filter((event): event is { content: string } => typeof event === 'object' && event !== null && 'content' in event)
      .map((event) => event.content)
      .join('');
    expect(text).toBe(Array.from({ length: 30 }, (_, index) => `w${index}`).join(' '));
    expect(result.events.at(-1)).toMatchObject({ done: true, provider: 'openrouter' });
    // ~9 s of streaming: 4.5 lock durations, longer than the provider timeout, one upstream call.
    expect(callsFor(fake, content)).toBe(1);
  });
});
