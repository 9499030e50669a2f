import { Redis } from 'ioredis';
import { metricValue, scrapeMetrics, useGateway, waitFor } from '@gateway/testing';

/**
 * API keys end to end: two API instances and a worker on one Redis, the fake OpenRouter behind them. The admin
 * token manages keys; agents call with their keys.
 */
const ADMIN = 'admin-token-for-keys-e2e';
const OR_KEY = 'sk-or-keys-e2e';

const suite = useGateway({
  name: 'keys',
  openRouter: { apiKey: OR_KEY },
  env: { GATEWAY_ADMIN_TOKEN: ADMIN, GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000', WORKER_CONCURRENCY: '64' },
  gateway: false,
});
const { redis, fake: upstream } = suite;
const apis = [suite.addApi(), suite.addApi()];
suite.addWorker();

beforeEach(() => {
  upstream.setBehaviour(() => ({ kind: 'reply', content: 'Hello from upstream' }));
});

type Json = Record<string, unknown>;
async function call(method: string, url: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
}
const admin = (method: string, path: string, body?: unknown, api = 0) => call(method, `${apis[api]!.baseUrl}/admin/keys${path}`, ADMIN, body);
const chat = (token: string, body: Json = {}, api = 0) =>
  call('POST', `${apis[api]!.baseUrl}/v1/chat`, token, { messages: [{ role: 'user', content: 'hello there' }], ...body });
async function createKey(settings: Json = {}): Promise<{ id: string; key: string }> {
  const created = await admin('POST', '', { name: 'agent key', ...settings });
  expect(created.status).toBe(201);
  return created.body as { id: string; key: string };
}

describe('the keys API', () => {
  it('creates a key whose secret is shown once, lists, shows with spend, updates, rotates and revokes it', async () => {
    const created = await createKey({ agent_id: 'pinned-agent', daily_budget_usd: 2, models: ['openai/*', 'thudm/*'], metadata: { team: 'search' } });
    expect(created.key).toMatch(/^gwk_[A-Za-z0-9_-]{32}$/);
    expect(created).toMatchObject({
      name: 'agent key',
      agent_id: 'pinned-agent',
      daily_budget_usd: 2,
      monthly_budget_usd: null,
      models: ['openai/*', 'thudm/*'],
      metadata: { team: 'search' },
      revoked_at: null,
    });

    expect((await chat(created.key)).status).toBe(200);
    const shown = await admin('GET', `/${created.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).not.toHaveProperty('key');
    expect(shown.body).not.toHaveProperty('secret_hash');
    expect(shown.body['key_prefix']).toBe(created.key.slice(0, 8));
    expect(shown.body['usage']).toMatchObject({ day: { jobs: 1, budget_usd: 2, by_agent: { 'pinned-agent': expect.any(Number) } } });
    const listed = await admin('GET', '');
    expect((listed.body['data'] as Json[]).map((key) => key['id'])).toContain(created.id);

    const updated = await admin('PATCH', `/${created.id}`, { name: 'renamed', daily_budget_usd: null, rate_rps: 5 });
    expect(updated.body).toMatchObject({ name: 'renamed', daily_budget_usd: null, rate_rps: 5 });

    const rotated = await admin('POST', `/${created.id}/rotate`);
    expect(rotated.status).toBe(200);
    const fresh = (rotated.body as { key: string }).key;
    expect(fresh).not.toBe(created.key);
    expect((await chat(created.key)).status).toBe(401);
    expect((await chat(fresh)).status).toBe(200);

    const revoked = await admin('DELETE', `/${created.id}`);
    expect(revoked.body['revoked_at']).toEqual(expect.any(String));
    expect((await chat(fresh)).status).toBe(401);
    expect((await admin('POST', `/${created.id}/rotate`)).status).toBe(400);
  });

  it.each([
    ['an unknown field', { name: 'x', nope: 1 }, 'nope'],
    ['no name', {}, 'name'],
    ['a negative budget', { name: 'x', daily_budget_usd: -1 }, 'daily_budget_usd'],
    ['a model glob with spaces', { name: 'x', models: ['open ai/*'] }, 'models.0'],
    ['a bad expiry', { name: 'x', expires_at: 'tomorrow' }, 'expires_at'],
    ['a zero burst', { name: 'x', rate_burst: 0 }, 'rate_burst'],
  ])('refuses %s with a 400 naming the field', async (_label, body, field) => {
    const answer = await admin('POST', '', body);
    expect(answer.status).toBe(400);
    expect(answer.body['error']).toMatchObject({ type: 'invalid_request', message: expect.stringContaining(field) });
  });

  it('answers 404 for an unknown or malformed key id, and refuses an expired key', async () => {
    expect((await admin('GET', '/key_0000000000000000')).status).toBe(404);
    expect((await admin('PATCH', '/../../etc', { name: 'x' })).status).toBe(404);
    const expired = await createKey({ expires_at: new Date(Date.now() - 1000).toISOString() });
    const refused = await chat(expired.key);
    expect(refused.status).toBe(401);
    expect((refused.body['error'] as Json)['message']).toContain('expired');
  });

  it('is closed to agents’ keys and to anonymous callers; Bull Board too', async () => {
    const { key } = await createKey();
    for (const path of ['/admin/keys', '/admin/queues']) {
      expect((await call('GET', `${apis[0]!.baseUrl}${path}`, key)).status).toBe(401);
      expect((await call('GET', `${apis[0]!.baseUrl}${path}`, undefined)).status).toBe(401);
    }
    const board = await fetch(`${apis[0]!.baseUrl}/admin/queues`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(board.status).toBe(200);
    expect(board.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    // Without a key or the admin token, /v1 is closed once an admin token is set.
    expect((await call('POST', `${apis[0]!.baseUrl}/v1/chat`, undefined, { messages: [{ role: 'user', content: 'x' }] })).status).toBe(401);
  });
});

describe('a key’s limits across instances', () => {
  it('a revoke on one instance is refused on the other within 1 s', async () => {
    const { id, key } = await createKey();
    expect((await chat(key, {}, 1)).status).toBe(200);
    const revokedAt = performance.now();
    await admin('DELETE', `/${id}`, undefined, 0);
    await waitFor(async () => ((await chat(key, {}, 1)).status === 401 ? true : undefined), 3000, 20);
    const delayMs = performance.now() - revokedAt;
    process.stdout.write(`revocation seen by the other API instance after ${delayMs.toFixed(0)} ms\n`);
    expect(delayMs).toBeLessThan(1000);
  });

  it('30 concurrent requests over both instances cannot pass the key’s daily budget by more than one estimate', async () => {
    const { id, key } = await createKey({ daily_budget_usd: 0 });
    // A spent (zero) budget refuses and says what one request is estimated to cost.
    const probe = await chat(key, { max_tokens: 100 });
    expect(probe.status).toBe(402);
    const estimate = ((probe.body['error'] as Json)['budget'] as { estimate_usd: number }).estimate_usd;
    expect(estimate).toBeGreaterThan(0);
    const budget = estimate * 5.5;
    await admin('PATCH', `/${id}`, { daily_budget_usd: budget });
    upstream.setBehaviour(() => ({ kind: 'reply', content: 'paid answer', cost: estimate, latencyMs: 300 }));
    const answers = await Promise.all(Array.from({ length: 30 }, (_, index) => chat(key, { max_tokens: 100, agent_id: `a${index}` }, index % 2)));
    const served = answers.filter((answer) => answer.status === 200).length;
    const refused = answers.filter((answer) => answer.status === 402).length;
    const spent = ((await admin('GET', `/${id}`)).body['usage'] as { day: { spent_usd: number } }).day.spent_usd;
    process.stdout.write(
      `key budget ${budget.toFixed(6)} USD (5.5 estimates): served ${served} of 30 concurrent, refused ${refused}, spent ${spent.toFixed(6)} USD\n`,
    );
    expect(served).toBe(5);
    expect(refused).toBe(25);
    expect(spent).toBeLessThanOrEqual(budget + estimate);
  });

  it('the key’s rate limit holds whatever agent_id the caller writes', async () => {
    const { id, key } = await createKey({ rate_rps: 0.01, rate_burst: 3 });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, index) => chat(key, { agent_id: `fresh-${index}` }, index % 2)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(3);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(7);
    // Operators see the refusals per key (both instances together).
    const refusals = await Promise.all(
      apis.map(async (api) => metricValue(await scrapeMetrics(`${api.baseUrl}/metrics`), 'gateway_key_refusals_total', { key: id, limit: 'rate' })),
    );
    expect(refusals[0]! + refusals[1]!).toBe(7);
  });

  it('a model outside the allow-list is 403 before anything reaches a provider', async () => {
    const { key } = await createKey({ models: ['thudm/*'] });
    const before = upstream.requests.length;
    const refused = await chat(key, { model: 'openai/gpt-4o' });
    expect(refused.status).toBe(403);
    expect((refused.body['error'] as Json)['type']).toBe('forbidden');
    expect(upstream.requests.length).toBe(before);
    expect((await chat(key, { model: 'thudm/glm-4-9b-chat' })).status).toBe(200);
    const batch = await call('POST', `${apis[0]!.baseUrl}/v1/batches`, key, [
      { messages: [{ role: 'user', content: 'x' }], model: 'thudm/x' },
      { messages: [{ role: 'user', content: 'y' }], model: 'openai/x' },
    ]);
    expect(batch.status).toBe(403);
    expect((batch.body['error'] as Json)['message']).toContain('requests.1');
  });
});

describe('ownership', () => {
  it('another key’s job and batch are 404; usage shows a key its own spend; the operator sees everything', async () => {
    const [alice, bob] = await Promise.all([createKey({ name: 'alice' }), createKey({ name: 'bob' })]);
    const job = await call('POST', `${apis[0]!.baseUrl}/v1/jobs`, alice.key, { messages: [{ role: 'user', content: 'async' }] });
    expect(job.status).toBe(202);
    const jobId = job.body['job_id'] as string;
    await waitFor(async () => ((await call('GET', `${apis[1]!.baseUrl}/v1/jobs/${jobId}`, alice.key)).body['status'] === 'completed' ? true : undefined));
    expect((await call('GET', `${apis[1]!.baseUrl}/v1/jobs/${jobId}`, bob.key)).status).toBe(404);
    expect((await call('DELETE', `${apis[0]!.baseUrl}/v1/jobs/${jobId}`, bob.key)).status).toBe(404);
    expect((await call('GET', `${apis[0]!.baseUrl}/v1/jobs/${jobId}`, ADMIN)).status).toBe(200);

    const batch = await call('POST', `${apis[0]!.baseUrl}/v1/batches`, alice.key, [{ messages: [{ role: 'user', content: 'b' }] }]);
    expect(batch.status).toBe(202);
    const batchId = batch.body['batch_id'] as string;
    expect((await call('GET', `${apis[1]!.baseUrl}/v1/batches/${batchId}`, alice.key)).status).toBe(200);
    expect((await call('GET', `${apis[1]!.baseUrl}/v1/batches/${batchId}`, bob.key)).status).toBe(404);
    expect((await call('GET', `${apis[1]!.baseUrl}/v1/jobs/${batchId}-0`, bob.key)).status).toBe(404);

    await waitFor(async () => ((await call('GET', `${apis[0]!.baseUrl}/v1/usage`, alice.key)).body['day'] as { jobs: number }).jobs >= 2 || undefined);
    const aliceUsage = (await call('GET', `${apis[0]!.baseUrl}/v1/usage`, alice.key)).body['day'] as { jobs: number; budget_usd: unknown };
    const bobUsage = (await call('GET', `${apis[0]!.baseUrl}/v1/usage`, bob.key)).body['day'] as { jobs: number };
    expect(aliceUsage).toMatchObject({ jobs: 2, budget_usd: null });
    expect(bobUsage.jobs).toBe(0);
    const global = (await call('GET', `${apis[0]!.baseUrl}/v1/usage`, ADMIN)).body['day'] as { by_key: Record<string, number> };
    expect(Object.keys(global.by_key)).toContain(alice.id);
  });
});

describe('tokens by kind', () => {
  it('/v1/usage counts prompt, cached, completion and reasoning tokens of the billed calls', async () => {
    const { key } = await createKey({ name: 'tokens' });
    upstream.setBehaviour(() => ({ kind: 'reply', content: 'three word answer', cachedTokens: 2, reasoningTokens: 7 }));
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key)).status).toBe(200);
    await waitFor(async () => (((await call('GET', `${apis[0]!.baseUrl}/v1/usage`, key)).body['day'] as { jobs: number }).jobs >= 2 ? true : undefined));
    const day = (await call('GET', `${apis[0]!.baseUrl}/v1/usage`, key)).body['day'] as { tokens: Record<string, number> };
    // The fake counts words: "hello there" is 2 prompt tokens; 3 answer words plus 7 reasoning tokens.
    expect(day.tokens).toEqual({ prompt: 4, cached: 4, completion: 20, reasoning: 14 });
  });
});

describe('secrets at rest', () => {
  it('no key secret appears in any Redis key name or value', async () => {
    const { key } = await createKey({ name: 'scanned' });
    expect((await chat(key)).status).toBe(200);
    const client = new Redis(redis.url);
    try {
      const secretPart = key.slice(8);
      let cursor = '0';
      let scanned = 0;
      do {
        const [next, names] = await client.scan(cursor, 'COUNT', '500');
        cursor = next;
        for (const name of names) {
          scanned += 1;
          expect(name).not.toContain(secretPart);
          const type = await client.type(name);
          const value =
            type === 'string'
              ? await client.get(name)
              : type === 'hash'
                ? JSON.stringify(await client.hgetall(name))
                : type === 'set'
                  ? JSON.stringify(await client.smembers(name))
                  : type === 'zset'
                    ? JSON.stringify(await client.zrange(name, '0', '-1'))
                    : type === 'list'
                      ? JSON.stringify(await client.lrange(name, 0, -1))
                      : '';
          expect(value ?? '').not.toContain(secretPart);
        }
      } while (cursor !== '0');
      expect(scanned).toBeGreaterThan(10);
    } finally {
      client.disconnect();
    }
  });
});
