import { Redis } from 'ioredis';
import { callsFor, getSse, jobView, noRateLimit, postSse, scriptedBehaviour, usageToday, useGateway, waitFor } from '@gateway/testing';

// A dead worker's job is taken over after at most lock (2 s) + stalled interval (1 s).
jest.setTimeout(120_000);

const suite = useGateway({
  name: 'takeover',
  openRouter: { apiKey: 'sk-or-takeover', behave: scriptedBehaviour },
  env: {
    PROVIDER_TIMEOUT_MS: '8000',
    CHAT_TIMEOUT_MS: '60000',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    STREAM_RESUME_GRACE_MS: '20000',
    ...noRateLimit,
  },
  gateway: false,
});
const { redis, fake, env } = suite;
const apiA = suite.addApi();
const apiB = suite.addApi();

describe('a worker SIGKILLed mid-stream', () => {
  it('has its resumable stream taken over by another worker; the client resumed elsewhere gets every chunk once', async () => {
    const content = 'drip:100:50 taken over';
    const first = await suite.startWorker('SIGKILL');
    let seen = 0;
    const cut = await postSse(
      `${apiA.baseUrl}/v1/chat/stream`,
      { messages: [{ role: 'user', content }], resumable: true },
      {
        onEvent: (event) => {
          if (typeof event === 'object' && event !== null && 'content' in event) seen += 1;
          return seen >= 10 ? 'abort' : undefined;
        },
      },
    );
    const jobId = cut.headers.get('x-job-id')!;
    await suite.startWorker('SIGKILL');
    first.child.kill('SIGKILL');
    await first.exited();

    const rest = await getSse(`${apiB.baseUrl}/v1/jobs/${jobId}/stream`, { headers: { 'last-event-id': cut.ids.at(-1)! } });
    const text = [...cut.events, ...rest.events]
      .map((event) => (typeof event === 'object' && event !== null && 'content' in event ? (event as { content: string }).content : ''))
      .join('');
    expect(text).toBe(Array.from({ length: 50 }, (_, index) => `w${index}`).join(' '));
    expect(rest.events.at(-1)).toMatchObject({ done: true, job_id: jobId });
    expect(new Set([...cut.ids, ...rest.ids]).size).toBe(cut.ids.length + rest.ids.length);
    // The dead worker's call, and the survivor's: the second attempt's first words were not sent again.
    expect(callsFor(fake, content)).toBe(2);
    await waitFor(async () => ((await jobView(apiA.baseUrl, jobId))?.status === 'completed' ? true : undefined), 5000);
    const usage = await waitFor(async () => {
      const day = await usageToday(apiA.baseUrl);
      return day.jobs >= 2 ? day : undefined;
    });
    // Both calls billed, once each: the survivor's at its cost (0.00001), the dead worker's at the job's reservation
    // when the job was taken over (nothing better is known of it).
    const redisClient = new Redis(redis.url);
    const data = JSON.parse((await redisClient.hget(`${env['QUEUE_PREFIX']}:chat:${jobId}`, 'data')) ?? '{}') as { reserved_usd?: number };
    redisClient.disconnect();
    expect(data.reserved_usd).toBeGreaterThan(0);
    expect(usage!.jobs).toBe(2);
    expect(usage!.spent_usd).toBeCloseTo(0.00001 + data.reserved_usd!, 9);
    expect(usage!.in_flight_usd).toBe(0);
  });
});
