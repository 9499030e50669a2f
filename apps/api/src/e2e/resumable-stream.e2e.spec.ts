import {
  callsFor,
  getSse,
  jobView,
  noRateLimit,
  postJson,
  postSse,
  scriptedBehaviour,
  uniquePrefix,
  useGateway,
  waitFor,
  waitForStatus,
  type SseResult,
} from '@gateway/testing';

// Two API instances and one worker on one Redis: a stream begun on one instance is resumed on the other.
jest.setTimeout(90_000);
const graceMs = 3000;

const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ');
const textOf = (events: readonly unknown[]) =>
  events
    .filter((event): event is { content: string } => typeof event === 'object' && event !== null && 'content' in event)
    .map((event) => event.content)
    .join('');
const contentEvents = (result: SseResult) => result.events.filter((event) => typeof event === 'object' && event !== null && 'content' in event).length;
/** Cuts the stream (the client goes away) once it has `count` content events. */
const cutAfter = (count: number) => {
  let seen = 0;
  return (event: unknown) => {
    if (typeof event === 'object' && event !== null && 'content' in event) seen += 1;
    return seen >= count ? ('abort' as const) : undefined;
  };
};
const idOrder = (id: string) => id.split('-').map(Number) as [number, number];
const isAfter = (id: string, than: string) => {
  const [seq, part] = idOrder(id);
  const [thanSeq, thanPart] = idOrder(than);
  return seq > thanSeq || (seq === thanSeq && part > thanPart);
};

/** The id of the job the fake upstream is serving `content` for (its request carries no job id: found by content in Redis). */
async function findJob(content: string): Promise<string | undefined> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys(`${prefix}:chat:*`);
    for (const key of keys) {
      const data = await client.hget(key, 'data').catch(() => null);
      if (data?.includes(content)) return key.slice(`${prefix}:chat:`.length);
    }
    return undefined;
  } finally {
    client.disconnect();
  }
}
const prefix = uniquePrefix('resume');

const suite = useGateway({
  name: 'resume',
  prefix,
  openRouter: { apiKey: 'sk-or-resume', behave: scriptedBehaviour },
  env: { PROVIDER_TIMEOUT_MS: '20000', STREAM_RESUME_GRACE_MS: String(graceMs), ...noRateLimit },
  gateway: false,
});
const { redis, fake } = suite;
const apiA = suite.addApi();
const apiB = suite.addApi();
suite.addWorker();

describe('event ids', () => {
  it('are on every event of /v1/chat/stream and of a streamed /v1/chat/completions, in order, none twice', async () => {
    const gateway = await postSse(`${apiA.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content: 'drip:5:8 ids gateway' }] });
    const openai = await postSse(`${apiA.baseUrl}/v1/chat/completions`, {
      messages: [{ role: 'user', content: 'drip:5:8 ids openai' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for (const result of [gateway, openai]) {
      expect(result.status).toBe(200);
      expect(result.ids.every((id) => id !== undefined && /^\d+-\d+$/.test(id))).toBe(true);
      const ids = result.ids as string[];
      ids.slice(1).forEach((id, index) => expect(isAfter(id, ids[index]!)).toBe(true));
    }
    expect(openai.events.at(-1)).toBe('[DONE]');
  });
});

describe('a resumable stream', () => {
  it('cut after 10 of 50 chunks and resumed on the other instance arrives whole and exactly once, the upstream called once', async () => {
    const content = 'drip:40:50 resume across instances';
    const first = await postSse(`${apiA.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content }], resumable: true }, { onEvent: cutAfter(10) });
    expect(first.status).toBe(200);
    expect(contentEvents(first)).toBe(10);
    const jobId = first.headers.get('x-job-id')!;
    const lastId = first.ids.at(-1)!;

    const rest = await getSse(`${apiB.baseUrl}/v1/jobs/${jobId}/stream`, { headers: { 'last-event-id': lastId } });
    expect(rest.status).toBe(200);
    expect(rest.ids.every((id) => id !== undefined && isAfter(id, lastId))).toBe(true);
    expect(textOf(first.events) + textOf(rest.events)).toBe(words(50));
    expect(rest.events.at(-1)).toMatchObject({ done: true, job_id: jobId, provider: 'openrouter' });
    expect(new Set([...first.ids, ...rest.ids]).size).toBe(first.ids.length + rest.ids.length);
    expect(callsFor(fake, content)).toBe(1);
    await waitFor(async () => ((await jobView(apiA.baseUrl, jobId))?.status === 'completed' ? true : undefined), 5000);
  });

  it('is cancelled when nobody resumes it within STREAM_RESUME_GRACE_MS, and its kept stream ends with the cancel', async () => {
    const content = 'drip:200:100 nobody comes back';
    const first = await postSse(`${apiA.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content }], resumable: true }, { onEvent: cutAfter(2) });
    const jobId = first.headers.get('x-job-id')!;
    const leftAt = Date.now();
    // Still running while the grace lasts.
    expect((await jobView(apiA.baseUrl, jobId))?.status).toBe('active');
    const view = await waitForStatus(apiA.baseUrl, jobId, 'cancelled', 15_000);
    expect(view?.status).toBe('cancelled');
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(graceMs - 200);
    // Long before the 20 s answer would have ended; one upstream call.
    expect(Date.now() - leftAt).toBeLessThan(15_000);
    expect(callsFor(fake, content)).toBe(1);
    const replay = await getSse(`${apiB.baseUrl}/v1/jobs/${jobId}/stream`);
    expect(replay.events.at(-1)).toMatchObject({ error: { type: 'cancelled' } });
    expect(textOf(replay.events).startsWith('w0 w1')).toBe(true);
  });

  // The duplicate's watcher was added before its enqueue said 409: left there, it would keep the job watched for
  // good, and the first client's grace would never cancel it.
  it('is still cancelled by its grace after a duplicate with another body was refused on the other instance', async () => {
    const content = 'drip:200:100 a refused duplicate';
    const key = `refused-${Date.now()}`;
    const headers = { 'Idempotency-Key': key };
    let duplicate: Promise<Awaited<ReturnType<typeof postJson>>> | undefined;
    const first = await postSse(
      `${apiA.baseUrl}/v1/chat/stream`,
      { messages: [{ role: 'user', content }], resumable: true },
      {
        headers,
        onEvent: (event) => {
          if (typeof event === 'object' && event !== null && 'content' in event && duplicate === undefined)
            duplicate = postJson(
              `${apiB.baseUrl}/v1/chat/stream`,
              { messages: [{ role: 'user', content: `${content}, other body` }], resumable: true },
              headers,
            );
          return duplicate === undefined ? undefined : 'abort';
        },
      },
    );
    expect((await duplicate!).status).toBe(409);
    const jobId = first.headers.get('x-job-id')!;
    const view = await waitForStatus(apiA.baseUrl, jobId, 'cancelled', 15_000);
    expect(view?.status).toBe('cancelled');
    expect(callsFor(fake, content)).toBe(1);
  });

  it('is not cancelled when its client came back within the grace and left again for good only after the end', async () => {
    const content = 'drip:60:40 back in time';
    const first = await postSse(`${apiA.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content }], resumable: true }, { onEvent: cutAfter(3) });
    const jobId = first.headers.get('x-job-id')!;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rest = await getSse(`${apiB.baseUrl}/v1/jobs/${jobId}/stream`, { headers: { 'last-event-id': first.ids.at(-1)! } });
    expect(textOf(first.events) + textOf(rest.events)).toBe(words(40));
    // Past the first client's grace: the job stayed completed, not cancelled.
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    expect((await jobView(apiA.baseUrl, jobId))?.status).toBe('completed');
  });

  it('is not cancelled by the grace of a second reader that left while the first still reads', async () => {
    const content = 'drip:100:50 two readers';
    const reading = postSse(`${apiA.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content }], resumable: true });
    const jobId = (await waitFor(() => findJob(content), 10_000, 50))!;
    const second = await getSse(`${apiB.baseUrl}/v1/jobs/${jobId}/stream`, { onEvent: cutAfter(2) });
    expect(contentEvents(second)).toBe(2);
    const first = await reading;
    // 5 s of answer, past the second reader's 3 s grace: the first reader got it all.
    expect(textOf(first.events)).toBe(words(50));
    expect(first.events.at(-1)).toMatchObject({ done: true });
    // The stream's end goes out before the worker books the job as completed.
    await waitFor(async () => ((await jobView(apiA.baseUrl, jobId))?.status === 'completed' ? true : undefined), 5000);
  });

  it("keeps today's behaviour without resumable: a disconnect cancels at once", async () => {
    const content = 'drip:200:100 not resumable';
    const first = await postSse(`${apiA.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content }] }, { onEvent: cutAfter(2) });
    const jobId = first.headers.get('x-job-id')!;
    const view = await waitFor(async () => ((await jobView(apiA.baseUrl, jobId))?.status === 'cancelled' ? true : undefined), 5000, 50);
    expect(view).toBe(true);
    const attach = await getSse(`${apiB.baseUrl}/v1/jobs/${jobId}/stream`);
    expect(attach.status).toBe(400);
    expect(attach.body).toMatchObject({ error: { type: 'invalid_request' } });
  });

  it('resumes a streamed /v1/chat/completions (stream_options.resumable) in OpenAI chunks', async () => {
    const content = 'drip:40:30 openai resume';
    const first = await postSse(
      `${apiA.baseUrl}/v1/chat/completions`,
      { messages: [{ role: 'user', content }], stream: true, stream_options: { resumable: true, include_usage: true } },
      {
        onEvent: (() => {
          let seen = 0;
          return () => ((seen += 1) >= 6 ? 'abort' : undefined);
        })(),
      },
    );
    const jobId = first.headers.get('x-job-id')!;
    const rest = await getSse(`${apiB.baseUrl}/v1/jobs/${jobId}/stream`, { headers: { 'last-event-id': first.ids.at(-1)! } });
    type Chunk = { choices: { delta: { content?: string; role?: string } }[]; usage?: unknown };
    const chunks = [...first.events, ...rest.events].filter((event): event is Chunk => typeof event === 'object' && event !== null && 'choices' in event);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(words(30));
    // The role comes once, in the first chunk only.
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.role !== undefined)).toHaveLength(1);
    expect(rest.events.at(-1)).toBe('[DONE]');
    expect(chunks.at(-1)?.usage).toBeDefined();
    expect(callsFor(fake, content)).toBe(1);
  });
});

describe('GET /v1/jobs/:id/stream of an asynchronous job', () => {
  it('attaches from the start while it runs, from a Last-Event-ID, and replays a finished job whole', async () => {
    const content = 'drip:30:20 async attach';
    const submitted = await postJson(`${apiA.baseUrl}/v1/jobs`, { messages: [{ role: 'user', content }], stream: true });
    expect(submitted.status).toBe(202);
    const jobId = (submitted.body as { job_id: string }).job_id;
    const live = await getSse(`${apiB.baseUrl}/v1/jobs/${jobId}/stream`);
    expect(live.status).toBe(200);
    expect(textOf(live.events)).toBe(words(20));
    expect(live.events.at(-1)).toMatchObject({ done: true, job_id: jobId });

    const replay = await getSse(`${apiA.baseUrl}/v1/jobs/${jobId}/stream`);
    expect(replay.events).toEqual(live.events);
    expect(replay.ids).toEqual(live.ids);
    const middle = live.ids[5]!;
    const tail = await getSse(`${apiA.baseUrl}/v1/jobs/${jobId}/stream?last_event_id=${middle}`);
    expect(tail.events).toEqual(live.events.slice(6));
    expect(callsFor(fake, content)).toBe(1);
  });

  it('answers 400 for a malformed Last-Event-ID, 404 for an unknown or foreign id, never 500', async () => {
    const submitted = await postJson(`${apiA.baseUrl}/v1/jobs`, { messages: [{ role: 'user', content: 'short async' }], stream: true });
    const jobId = (submitted.body as { job_id: string }).job_id;
    for (const bad of ['abc', '-1-0', '1', '1-2-3', '99999999999-0', '1-0x', '01-0']) {
      const answer = await getSse(`${apiA.baseUrl}/v1/jobs/${jobId}/stream`, { headers: { 'last-event-id': bad } });
      expect([bad, answer.status]).toEqual([bad, 400]);
      expect(answer.body).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining('Last-Event-ID') } });
    }
    for (const unknown of ['00000000-0000-4000-8000-000000000000', 'wait', 'meta', 'key_AAAAAAAAAAAAAAAA_00000000-0000-4000-8000-000000000000']) {
      const answer = await getSse(`${apiA.baseUrl}/v1/jobs/${unknown}/stream`);
      expect([unknown, answer.status]).toEqual([unknown, 404]);
      expect(answer.body).toMatchObject({ error: { type: 'not_found' } });
    }
  });
});
