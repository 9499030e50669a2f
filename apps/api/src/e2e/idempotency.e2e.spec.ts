import { callsFor, postSse, scriptedBehaviour, useGateway, waitFor } from '@gateway/testing';

// Two API instances and a worker; callers are API keys (the key is per API key), the fake charges $0.00001 a call.
jest.setTimeout(90_000);
const ADMIN = 'admin-idempotency-token';

const suite = useGateway({
  name: 'idem',
  openRouter: { apiKey: 'sk-or-idem', behave: scriptedBehaviour },
  env: { GATEWAY_ADMIN_TOKEN: ADMIN, GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000' },
  gateway: false,
});
const { fake } = suite;
const apis = [suite.addApi(), suite.addApi()];
suite.addWorker();
let alice: string;
let bob: string;
type Json = Record<string, unknown>;
async function call(
  method: string,
  url: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {}, headers: response.headers };
}
const post = (api: number, path: string, token: string, body: unknown, key?: string) =>
  call('POST', `${apis[api]!.baseUrl}${path}`, token, body, key === undefined ? {} : { 'idempotency-key': key });
const ask = (content: string) => ({ messages: [{ role: 'user', content }] });
const usageOf = async (token: string) =>
  (await call('GET', `${apis[0]!.baseUrl}/v1/usage`, token)).body['day'] as { jobs: number; spent_usd: number; in_flight_usd: number };
let keyCount = 0;
const uniqueKey = () => `key-${Date.now()}-${(keyCount += 1)}`;

beforeAll(async () => {
  const created = await Promise.all(['alice', 'bob'].map((name) => call('POST', `${apis[0]!.baseUrl}/admin/keys`, ADMIN, { name })));
  [alice, bob] = created.map((answer) => answer.body['key'] as string) as [string, string];
});

describe('Idempotency-Key', () => {
  it('two concurrent POST /v1/chat with one key, on two instances: one job, one upstream call, both answered, billed once', async () => {
    const content = 'slow:800 concurrent sync';
    const key = uniqueKey();
    const before = await usageOf(alice);
    const [first, second] = await Promise.all([post(0, '/v1/chat', alice, ask(content), key), post(1, '/v1/chat', alice, ask(content), key)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body['job_id']).toBe(second.body['job_id']);
    expect(first.body['content']).toBe(`re ${content}`);
    expect(second.body['content']).toBe(`re ${content}`);
    expect(callsFor(fake, content)).toBe(1);
    const after = await waitFor(async () => {
      const usage = await usageOf(alice);
      return usage.jobs > before.jobs ? usage : undefined;
    });
    expect(after!.jobs).toBe(before.jobs + 1);
    expect(after!.spent_usd - before.spent_usd).toBeCloseTo(0.00001, 9);
    expect(after!.in_flight_usd).toBe(0);
    // A later repeat gets the same answer from the kept job, still without a call.
    const later = await post(1, '/v1/chat', alice, ask(content), key);
    expect(later.body).toMatchObject({ job_id: first.body['job_id'], content: `re ${content}` });
    expect(callsFor(fake, content)).toBe(1);
  });

  it('the same key with another body (or route) is 409 conflict; the same key from another API key is another job', async () => {
    const key = uniqueKey();
    const first = await post(0, '/v1/chat', alice, ask('first body'), key);
    expect(first.status).toBe(200);
    const other = await post(1, '/v1/chat', alice, ask('another body'), key);
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ error: { type: 'conflict', message: expect.stringContaining('Idempotency-Key') } });
    // The key names one piece of work: the same body on another route is another request.
    const sameKeyOtherRoute = await post(0, '/v1/jobs', alice, ask('first body'), key);
    expect(sameKeyOtherRoute.status).toBe(409);
    // So it is the other way round, the job lane's work (in its own queue) met by an interactive route.
    const jobKey = uniqueKey();
    expect((await post(0, '/v1/jobs', alice, ask('a job'), jobKey)).status).toBe(202);
    expect((await post(1, '/v1/chat', alice, ask('a job'), jobKey)).status).toBe(409);
    const bobs = await post(1, '/v1/chat', bob, ask('another body'), key);
    expect(bobs.status).toBe(200);
    expect(bobs.body['job_id']).not.toBe(first.body['job_id']);
    expect(callsFor(fake, 'another body')).toBe(1);
    const repeat = await post(1, '/v1/chat', alice, ask('first body'), key);
    expect(repeat.body['job_id']).toBe(first.body['job_id']);
    const metrics = await (await fetch(`${apis[1]!.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/gateway_idempotent_requests_total\{outcome="conflict"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_idempotent_requests_total\{outcome="joined"[^}]*\} [1-9]/);
  });

  it('two concurrent streams with one key: one upstream call, both get the whole answer', async () => {
    const content = 'drip:30:30 concurrent streams';
    const key = uniqueKey();
    const headers = { authorization: `Bearer ${alice}`, 'idempotency-key': key };
    const [first, second] = await Promise.all([
      postSse(`${apis[0]!.baseUrl}/v1/chat/stream`, ask(content), { headers }),
      postSse(`${apis[1]!.baseUrl}/v1/chat/stream`, ask(content), { headers }),
    ]);
    const text = (events: unknown[]) => events.map((event) => (event as { content?: string }).content ?? '').join('');
    const expected = Array.from({ length: 30 }, (_, index) => `w${index}`).join(' ');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(text(first.events)).toBe(expected);
    expect(text(second.events)).toBe(expected);
    expect(first.headers.get('x-job-id')).toBe(second.headers.get('x-job-id'));
    expect(callsFor(fake, content)).toBe(1);
  });

  it('on one instance too: a duplicate stream attaches beside the first, another body is 409 before any byte', async () => {
    const content = 'drip:30:30 same instance streams';
    const key = uniqueKey();
    const headers = { authorization: `Bearer ${alice}`, 'idempotency-key': key };
    const first = postSse(`${apis[0]!.baseUrl}/v1/chat/stream`, ask(content), { headers });
    await waitFor(() => callsFor(fake, content) === 1 || undefined);
    const conflict = await postSse(`${apis[0]!.baseUrl}/v1/chat/stream`, ask('same key, other words'), { headers });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { type: 'conflict' } });
    const second = await postSse(`${apis[0]!.baseUrl}/v1/chat/stream`, ask(content), { headers });
    const text = (events: unknown[]) => events.map((event) => (event as { content?: string }).content ?? '').join('');
    const expected = Array.from({ length: 30 }, (_, index) => `w${index}`).join(' ');
    expect(text((await first).events)).toBe(expected);
    expect(text(second.events)).toBe(expected);
    expect(callsFor(fake, content)).toBe(1);
    expect(callsFor(fake, 'same key, other words')).toBe(0);
  });

  it('/v1/chat/completions, /v1/jobs and /v1/batches: a repeat is the same job or batch, one call each', async () => {
    const key = uniqueKey();
    const completion = ask('completion once');
    const [c1, c2] = await Promise.all([post(0, '/v1/chat/completions', alice, completion, key), post(1, '/v1/chat/completions', alice, completion, key)]);
    expect([c1.status, c2.status]).toEqual([200, 200]);
    expect(c1.body['id']).toBe(c2.body['id']);
    expect(callsFor(fake, 'completion once')).toBe(1);

    const jobKey = uniqueKey();
    const [j1, j2] = await Promise.all([post(0, '/v1/jobs', alice, ask('job once'), jobKey), post(1, '/v1/jobs', alice, ask('job once'), jobKey)]);
    expect([j1.status, j2.status]).toEqual([202, 202]);
    expect(j1.body['job_id']).toBe(j2.body['job_id']);

    const batchKey = uniqueKey();
    const batch = [ask('batch once 0'), ask('batch once 1')];
    const [b1, b2] = await Promise.all([post(0, '/v1/batches', alice, batch, batchKey), post(1, '/v1/batches', alice, batch, batchKey)]);
    expect([b1.status, b2.status]).toEqual([202, 202]);
    // One batch: the same ids (each answer is the Batch object as it was when answered, its counts may differ).
    const idsOf = (body: Record<string, unknown>) => ({ id: body['id'], batch_id: body['batch_id'], total: body['total'], job_ids: body['job_ids'] });
    expect(idsOf(b1.body)).toEqual(idsOf(b2.body));
    expect(b1.body['id']).toBe(b1.body['batch_id']);
    const conflict = await post(0, '/v1/batches', alice, [ask('batch other')], batchKey);
    expect(conflict.status).toBe(409);
    await waitFor(async () =>
      (await call('GET', `${apis[0]!.baseUrl}/v1/batches/${String(b1.body['batch_id'])}`, alice)).body['done'] === true ? true : undefined,
    );
    await waitFor(async () =>
      (await call('GET', `${apis[0]!.baseUrl}/v1/jobs/${String(j1.body['job_id'])}`, alice)).body['status'] === 'completed' ? true : undefined,
    );
    expect([callsFor(fake, 'job once'), callsFor(fake, 'batch once 0'), callsFor(fake, 'batch once 1')]).toEqual([1, 1, 1]);
  });

  it("another API key's job stream is 404, as an unknown one", async () => {
    const submitted = await post(0, '/v1/jobs', alice, { ...ask('alice streams'), stream: true });
    expect(submitted.status).toBe(202);
    const jobId = String(submitted.body['job_id']);
    const foreign = await call('GET', `${apis[1]!.baseUrl}/v1/jobs/${jobId}/stream`, bob);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ error: { type: 'not_found' } });
    const own = await fetch(`${apis[1]!.baseUrl}/v1/jobs/${jobId}/stream`, { headers: { authorization: `Bearer ${alice}` } });
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('"done":true');
  });

  it('refuses a key that is too long or has characters outside printable ASCII with 400, naming the header, before any work', async () => {
    for (const bad of ['x'.repeat(256), 'has space', 'tab\there', 'ünïcode', '']) {
      const answer = await fetch(`${apis[0]!.baseUrl}/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json', 'idempotency-key': Buffer.from(bad, 'utf8').toString('latin1') },
        body: JSON.stringify(ask('never sent')),
      });
      expect([bad, answer.status]).toEqual([bad, 400]);
      expect(await answer.json()).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining('Idempotency-Key') } });
    }
    const longest = await post(0, '/v1/chat', alice, ask('longest key'), 'k'.repeat(255));
    expect(longest.status).toBe(200);
    expect(callsFor(fake, 'never sent')).toBe(0);
  });
});
