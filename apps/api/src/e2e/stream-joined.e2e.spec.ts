import {
  callsFor,
  noRateLimit,
  postSse,
  startApi,
  startRedisFreezeProxy,
  useGateway,
  waitFor,
  type OpenRouterBehaviour,
  type RecordedRequest,
  type RedisFreezeProxy,
  type SseResult,
} from '@gateway/testing';

/**
 * A keyed stream whose enqueue answers 'joined' (the key's job exists) once the stream has begun, and two keyed
 * streams that start together on one instance. The API talks to Redis through a proxy that holds one client's
 * commands back (its pub/sub connection keeps receiving): the order that is otherwise a matter of milliseconds is
 * made certain.
 */
jest.setTimeout(60_000);
const KEY = 'sk-or-joined';
const WORDS = 30;

/** `first:<ms> drip:<ms>`: the first token after that long, then one word every drip ms. */
function behave(request: RecordedRequest): OpenRouterBehaviour {
  const messages = (request.body as { messages?: { content?: string }[] }).messages ?? [];
  const content = String(messages.at(-1)?.content ?? '');
  const timing = /^first:(\d+) drip:(\d+)/.exec(content);
  return {
    kind: 'reply',
    content: Array.from({ length: WORDS }, (_, index) => `w${index}`).join(' '),
    latencyMs: Number(timing?.[1] ?? 0),
    chunkDelayMs: Number(timing?.[2] ?? 0),
  };
}

const suite = useGateway({
  name: 'stream-joined',
  openRouter: { apiKey: KEY, behave },
  gateway: false,
  // Pings after 100 ms without a word; a stream without a message for 8 s fails (instead of the default two minutes).
  env: { ...noRateLimit, STREAM_KEEPALIVE_MS: '100', CHAT_TIMEOUT_MS: '8000' },
});
suite.addWorker();
let proxy: RedisFreezeProxy;
let api: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  proxy = await startRedisFreezeProxy(suite.redis.url);
  api = await startApi({ ...suite.env, REDIS_URL: proxy.url });
});
afterAll(async () => {
  await api?.process.stop();
  await proxy?.close();
});

let keys = 0;
const uniqueKey = () => `joined-${Date.now()}-${(keys += 1)}`;
const expected = Array.from({ length: WORDS }, (_, index) => `w${index}`).join(' ');
const ask = (content: string) => ({ messages: [{ role: 'user', content }] });
const textOf = (result: SseResult) => result.events.map((event) => (event as { content?: string }).content ?? '').join('');
const doneOf = (result: SseResult) => result.events.find((event) => (event as { done?: boolean }).done === true);

/** The API's count of streams that ended with `outcome` (gateway_streams_total). */
async function streamsEnded(outcome: string): Promise<number> {
  const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((each) => each.startsWith('gateway_streams_total{') && each.includes(`outcome="${outcome}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Every event id of a stream, once each and in order (`<seq>-<part>`). */
function expectOrderedIds(result: SseResult) {
  const ids = result.ids.filter((id): id is string => id !== undefined).map((id) => id.split('-').map(Number) as [number, number]);
  for (let index = 1; index < ids.length; index += 1) {
    const [seq, part] = ids[index]!;
    const [lastSeq, lastPart] = ids[index - 1]!;
    expect(seq > lastSeq || (seq === lastSeq && part > lastPart)).toBe(true);
  }
}

describe('a keyed stream whose job exists', () => {
  it('a retry whose enqueue answers "joined" after its stream began goes on from the kept stream: every word once, then the end', async () => {
    const content = 'first:1500 drip:150 retried';
    const key = uniqueKey();
    const url = `${api.baseUrl}/v1/chat/stream`;
    const headers = { 'content-type': 'application/json', accept: 'text/event-stream', 'idempotency-key': key };
    const cancelledBefore = await streamsEnded('cancelled');
    // The first client gives up before the first token (its job runs on, for a retry to attach to).
    const leaving = new AbortController();
    const first = fetch(url, { method: 'POST', headers, body: JSON.stringify(ask(content)), signal: leaving.signal }).catch(() => undefined);
    await waitFor(() => callsFor(suite.fake, content) === 1 || undefined);
    leaving.abort();
    await first;
    await waitFor(async () => (await streamsEnded('cancelled')) > cancelledBefore || undefined);

    // The retry: its stream listens for the job's messages, then its enqueue is held in Redis while the tokens come.
    const requestId = `retry-${key}`;
    const hold = proxy.holdAt([requestId]);
    const safety = setTimeout(() => hold.release(), 10_000);
    const retry = await postSse(url, ask(content), {
      headers: { 'idempotency-key': key, 'x-request-id': requestId },
      onEvent: (_event, index) => {
        // Headers, the first words and pings between them are out: the enqueue may answer now.
        if (index === 3) hold.release();
      },
    }).finally(() => clearTimeout(safety));
    expect(retry.status).toBe(200);
    expect(retry.comments).toContain('ping');
    expect(textOf(retry)).toBe(expected);
    expect(doneOf(retry)).toMatchObject({ done: true, job_id: retry.headers.get('x-job-id') });
    expectOrderedIds(retry);
    expect(callsFor(suite.fake, content)).toBe(1);
  });

  it('two streams with one key starting together on one instance: the second attaches beside the first, both get the whole answer', async () => {
    const content = 'first:300 drip:20 together';
    const key = uniqueKey();
    const url = `${api.baseUrl}/v1/chat/stream`;
    // The first's watcher is held in Redis: the second arrives while the first is not yet relaying the job.
    const hold = proxy.holdAt(['stream-watchers:', 'attach']);
    const safety = setTimeout(() => hold.release(), 10_000);
    const first = postSse(url, ask(content), { headers: { 'idempotency-key': key } });
    await hold.held;
    const second = postSse(url, ask(content), { headers: { 'idempotency-key': key } });
    await waitFor(() => hold.matching() >= 2 || undefined);
    hold.release();
    clearTimeout(safety);
    const [one, two] = await Promise.all([first, second]);
    expect([one.status, two.status]).toEqual([200, 200]);
    expect(textOf(one)).toBe(expected);
    expect(textOf(two)).toBe(expected);
    expect(doneOf(one)).toBeDefined();
    expect(doneOf(two)).toBeDefined();
    expect(callsFor(suite.fake, content)).toBe(1);
  });
});
