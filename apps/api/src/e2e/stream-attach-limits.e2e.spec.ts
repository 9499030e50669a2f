import { readdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { getSse, postJson, scriptedBehaviour, uniquePrefix, useGateway, waitFor, type AppProcess, type SseResult } from '@gateway/testing';

// Attaches to kept streams (GET /v1/jobs/:id/stream) share one reading connection per API instance, are capped per
// caller and per instance, and take a token from the caller's rate bucket like any request.
jest.setTimeout(120_000);

const prefix = uniquePrefix('attach');
const staticToken = 'attach-static-token';
const adminToken = 'attach-admin-token';
let admin: Redis;

const attachCount = 150;
const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ');
const textOf = (events: readonly unknown[]) =>
  events
    .filter((event): event is { content: string } => typeof event === 'object' && event !== null && 'content' in event)
    .map((event) => event.content)
    .join('');
const idOrder = (id: string) => id.split('-').map(Number) as [number, number];
const isAfter = (id: string, than: string) => {
  const [seq, part] = idOrder(id);
  const [thanSeq, thanPart] = idOrder(than);
  return seq > thanSeq || (seq === thanSeq && part > thanPart);
};
const redisClients = async () => ((await admin.call('CLIENT', 'LIST')) as string).trim().split('\n').length;
const openFds = (process: AppProcess) => readdirSync(`/proc/${process.child.pid}/fd`).length;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function submitStreamJob(baseUrl: string, content: string, agentId: string, headers: Record<string, string> = {}): Promise<string> {
  const submitted = await postJson(`${baseUrl}/v1/jobs`, { agent_id: agentId, messages: [{ role: 'user', content }], stream: true }, headers);
  expect(submitted.status).toBe(202);
  return (submitted.body as { job_id: string }).job_id;
}

/** An attach held open: `first` resolves at its first event (or its refusal), `result` when it is over or cut. */
function holdAttach(baseUrl: string, jobId: string, headers: Record<string, string> = {}) {
  let cut = false;
  let onFirst!: () => void;
  const first = new Promise<void>((resolve) => (onFirst = resolve));
  const result = getSse(`${baseUrl}/v1/jobs/${jobId}/stream`, {
    headers,
    onEvent: () => {
      onFirst();
      return cut ? 'abort' : undefined;
    },
  }).finally(onFirst);
  return { first, result, cut: () => (cut = true) };
}

// Stopped before the suite stops Redis (afterAll hooks run in the order they are declared).
afterAll(() => admin?.disconnect());
const suite = useGateway({
  name: 'attach',
  prefix,
  openRouter: { apiKey: 'sk-or-attach', behave: scriptedBehaviour },
  env: { PROVIDER_TIMEOUT_MS: '30000' },
  gateway: false,
});
beforeAll(() => {
  admin = new Redis(suite.redis.url);
});
/** No caps in the way, no authentication: the probe of 150 attaches. */
const wide = suite.addApi({ STREAM_ATTACH_MAX_PER_CALLER: '1000', STREAM_ATTACH_MAX_PER_INSTANCE: '1000' });
/** 2 attaches per caller, 3 per instance, a rate bucket of 6 that does not refill during the test. */
const capped = suite.addApi({
  GATEWAY_AUTH_TOKEN: staticToken,
  GATEWAY_ADMIN_TOKEN: adminToken,
  STREAM_ATTACH_MAX_PER_CALLER: '2',
  STREAM_ATTACH_MAX_PER_INSTANCE: '3',
  GATEWAY_RATE_RPS: '0.001',
  GATEWAY_RATE_BURST: '6',
});
suite.addWorker();

describe(`${attachCount} concurrent attaches`, () => {
  it('hold a constant number of Redis connections and one file descriptor each (their socket), every stream whole and in order', async () => {
    const jobIds = await Promise.all([0, 1, 2].map((index) => submitStreamJob(wide.baseUrl, `drip:150:60 probe ${index}`, 'probe')));
    // Each job has begun its stream (something kept) before the baseline: the worker's connections are all open.
    await waitFor(
      async () => ((await Promise.all(jobIds.map((id) => admin.xlen(`${prefix}:stream:${id}`)))).every((length) => length > 0) ? true : undefined),
      10_000,
    );
    const clientsBefore = await redisClients();
    const fdsBefore = openFds(wide.process);

    const attaches = Array.from({ length: attachCount }, (_, index) => holdAttach(wide.baseUrl, jobIds[index % 3]!));
    await Promise.all(attaches.map((attach) => attach.first));
    const clientsDuring = await redisClients();
    const fdsDuring = openFds(wide.process);
    process.stdout.write(`${attachCount} attaches: redis clients ${clientsBefore} -> ${clientsDuring}, api fds ${fdsBefore} -> ${fdsDuring}\n`);
    expect(clientsDuring - clientsBefore).toBeLessThanOrEqual(3);
    // One socket per attached client is the floor; a Redis connection each would double it.
    expect(fdsDuring - fdsBefore).toBeLessThanOrEqual(attachCount + 10);

    const results = await Promise.all(attaches.map((attach) => attach.result));
    for (const [index, result] of results.entries()) {
      expect(result.status).toBe(200);
      expect(textOf(result.events)).toBe(words(60));
      expect(result.events.at(-1)).toMatchObject({ done: true, job_id: jobIds[index % 3] });
      const ids = result.ids as string[];
      ids.slice(1).forEach((id, at) => expect(isAfter(id, ids[at]!)).toBe(true));
    }
    // Everyone left: the API holds no more Redis connections than before.
    await waitFor(async () => ((await redisClients()) <= clientsBefore + 1 ? true : undefined), 5000);
  });
});

describe('attach caps', () => {
  it('answer 429 rate_limited with Retry-After past the per-caller and the per-instance cap, and free a place when a client leaves', async () => {
    const jobId = await submitStreamJob(capped.baseUrl, 'drip:150:60 capped', 'caps', bearer(staticToken));
    const held = [holdAttach(capped.baseUrl, jobId, bearer(staticToken)), holdAttach(capped.baseUrl, jobId, bearer(staticToken))];
    await Promise.all(held.map((attach) => attach.first));

    const thirdOfCaller = await getSse(`${capped.baseUrl}/v1/jobs/${jobId}/stream`, { headers: bearer(staticToken) });
    expect(thirdOfCaller.status).toBe(429);
    expect(thirdOfCaller.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(thirdOfCaller.body).toMatchObject({ error: { type: 'rate_limited', message: expect.stringContaining('attach') } });

    // Another caller still has its own places, until the instance's are taken.
    const otherCaller = holdAttach(capped.baseUrl, jobId, bearer(adminToken));
    await otherCaller.first;
    const pastInstance = await getSse(`${capped.baseUrl}/v1/jobs/${jobId}/stream`, { headers: bearer(adminToken) });
    expect(pastInstance.status).toBe(429);
    expect(pastInstance.body).toMatchObject({ error: { type: 'rate_limited' } });

    // A client that leaves gives its place back.
    held[0]!.cut();
    await held[0]!.result;
    const again = await waitFor(async () => {
      const attach = holdAttach(capped.baseUrl, jobId, bearer(staticToken));
      await attach.first;
      const settled = await Promise.race([attach.result, new Promise<undefined>((resolve) => setTimeout(resolve, 300))]);
      if (settled?.status === 429) return undefined;
      return attach;
    }, 5000);
    const rest = await Promise.all([again!.result, held[1]!.result, otherCaller.result]);
    for (const result of rest) expect(textOf(result.events)).toBe(words(60));
  });

  it("count against the caller's rate bucket, the one its other requests take", async () => {
    const jobId = await submitStreamJob(capped.baseUrl, 'drip:1:5 rated', 'rated', bearer(staticToken));
    // The bucket holds 6: the submit took one, five attaches (each a whole replay) take the rest.
    const answers: SseResult[] = [];
    for (let attach = 0; attach < 6; attach += 1) answers.push(await getSse(`${capped.baseUrl}/v1/jobs/${jobId}/stream`, { headers: bearer(staticToken) }));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers[0]!.events.at(-1)).toMatchObject({ done: true, job_id: jobId });
    expect(answers[5]!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(answers[5]!.body).toMatchObject({ error: { type: 'rate_limited', message: expect.stringContaining('rate limit') } });
    // The same bucket as the caller's submissions for that agent.
    const submit = await postJson(`${capped.baseUrl}/v1/jobs`, { agent_id: 'rated', messages: [{ role: 'user', content: 'one more' }] }, bearer(staticToken));
    expect(submit.status).toBe(429);
  });
});
