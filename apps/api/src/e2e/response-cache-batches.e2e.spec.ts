import OpenAI, { toFile } from 'openai';
import { Redis } from 'ioredis';
import type { RequestLogPage } from '@gateway/contracts';
import { getSse, postJson, useGateway, waitFor, type RecordedRequest } from '@gateway/testing';
import { responseCacheHash } from '../enqueue/response-cache-key';

/**
 * The response cache in batches and asynchronous jobs (RESPONSE_CACHE_TTL_SECONDS on), with two workers on a fake
 * OpenRouter that counts its calls: a batch that opts in makes one call per distinct request even when its repeats run
 * together on several slots, its hits cost nothing and reserve nothing (the key's budget and the batch's cap count
 * the calls only); a batch that does not opt in calls for every request; files, embeddings lines and jobs share the
 * entries; each key's part stays within its byte quota.
 */
jest.setTimeout(120_000);
const ADMIN = 'admin-token-for-response-cache-batches';
const QUOTA = 100_000;
const suite = useGateway({
  name: 'response-cache-batches',
  openRouter: { apiKey: 'sk-or-response-cache-batches' },
  workers: 2,
  env: {
    RESPONSE_CACHE_TTL_SECONDS: '600',
    RESPONSE_CACHE_KEY_QUOTA_BYTES: String(QUOTA),
    GATEWAY_ADMIN_TOKEN: ADMIN,
    WORKER_CONCURRENCY: '4',
    BATCH_MAX_REQUESTS: '1000',
    CIRCUIT_FAILURE_THRESHOLD: '100000',
  },
});

/** The fake's chat calls whose last message is `text`. */
const callsFor = (text: string) =>
  suite.fake.requests.filter((request: RecordedRequest) => {
    const last = (request.body as { messages?: { content?: unknown }[] }).messages?.at(-1);
    return last?.content === text;
  }).length;
const embeddingCalls = () => suite.fake.requests.filter((request) => request.path.includes('/embeddings')).length;

interface Usage {
  spent_usd: number;
  in_flight_usd: number;
  jobs: number;
  cached_requests: number;
  cache_saved: { tokens: number; cost_usd: number };
}
interface BatchResult {
  custom_id?: string;
  status: string;
  result?: { content: string; cost_usd: number };
}

let keys: { a: string; aId: string; b: string; bId: string };
let redis: Redis;
beforeAll(async () => {
  const make = async (name: string) =>
    (
      await postJson(
        `${suite.gateway.baseUrl}/admin/keys`,
        { name, daily_budget_usd: 100, rate_rps: 1000, rate_burst: 10_000 },
        { authorization: `Bearer ${ADMIN}` },
      )
    ).body as { id: string; key: string };
  const [a, b] = await Promise.all([make('batch-cache-a'), make('batch-cache-b')]);
  keys = { a: a.key, aId: a.id, b: b.key, bId: b.id };
  redis = new Redis(suite.redis.url);
  suite.fake.setBehaviour((request) => ({
    kind: 'reply',
    content: `answer to ${JSON.stringify((request.body as { messages?: { content?: unknown }[] }).messages?.at(-1)?.content)}`,
    latencyMs: 150,
  }));
});
afterAll(() => redis?.disconnect());

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const usageOf = async (key: string): Promise<Usage> =>
  ((await (await fetch(`${suite.gateway.baseUrl}/v1/usage`, { headers: auth(key) })).json()) as { day: Usage }).day;
const chatLine = (customId: string, text: string, extra: object = {}) => ({
  custom_id: customId,
  model: 'openai/gpt-4o-mini',
  temperature: 0,
  messages: [{ role: 'user', content: text }],
  ...extra,
});

async function runBatch(key: string, body: unknown, headers: Record<string, string> = {}) {
  const created = await postJson(`${suite.gateway.baseUrl}/v1/batches`, body, { ...auth(key), ...headers });
  expect(created.status).toBe(202);
  const batchId = (created.body as { batch_id: string }).batch_id;
  await waitFor(
    async () => ((await (await fetch(`${suite.gateway.baseUrl}/v1/batches/${batchId}`, { headers: auth(key) })).json()) as { done: boolean }).done,
    90_000,
  );
  const view = (await (await fetch(`${suite.gateway.baseUrl}/v1/batches/${batchId}?results=true`, { headers: auth(key) })).json()) as {
    results: BatchResult[];
    spent_usd?: number;
  };
  return { batchId, view };
}

const questions = Array.from({ length: 50 }, (_, index) => `batch question ${index}`);
// Each question twice, side by side: the repeats run together, on the two workers' slots.
const repeated = questions.flatMap((text, index) => [chatLine(`q${index}-a`, text), chatLine(`q${index}-b`, text)]);

it('makes one call per distinct request of a batch that opts in, hits cost and reserve nothing, each custom_id its answer', async () => {
  const before = await usageOf(keys.a);
  const { batchId, view } = await runBatch(keys.a, { requests: repeated, cache: true, max_cost_usd: 50 });
  expect(view.results).toHaveLength(100);
  for (const [index, result] of view.results.entries()) {
    const text = questions[Math.floor(index / 2)]!;
    expect(result).toMatchObject({ custom_id: `q${Math.floor(index / 2)}-${index % 2 === 0 ? 'a' : 'b'}`, status: 'completed' });
    expect(result.result?.content).toBe(`answer to ${JSON.stringify(text)}`);
  }
  expect(questions.map(callsFor)).toEqual(questions.map(() => 1));
  const costs = view.results.map((result) => result.result!.cost_usd);
  expect(costs.filter((cost) => cost === 0)).toHaveLength(50);
  const billed = costs.reduce((sum, cost) => sum + cost, 0);
  expect(billed).toBeGreaterThan(0);

  // The key's budget holds the 50 calls only; the 50 hits are cached requests, and nothing stays reserved.
  const after = await usageOf(keys.a);
  expect(after.jobs - before.jobs).toBe(50);
  expect(after.cached_requests - before.cached_requests).toBe(50);
  expect(after.spent_usd - before.spent_usd).toBeCloseTo(billed, 9);
  expect(after.cache_saved.cost_usd - before.cache_saved.cost_usd).toBeCloseTo(billed, 9);
  expect(after.in_flight_usd).toBe(0);
  // The batch's cap: started (and reserved) by the 50 calls only, its spend theirs.
  expect(view.spent_usd).toBeCloseTo(billed, 9);
  const cap = await redis.hgetall(`${suite.env['QUEUE_PREFIX']}:budget:{spend}:batch:${batchId}`);
  expect(Object.keys(cap).filter((field) => field.startsWith('job:'))).toHaveLength(50);
  expect(Number(cap['inflight'] ?? 0)).toBe(0);
  // The request log: each line one entry, the 50 answered from the cache as hits that cost nothing, the 50 calls misses.
  const logged = await waitFor(async () => {
    const page = (await (
      await fetch(`${suite.gateway.baseUrl}/admin/requests?key_id=${keys.aId}&limit=1000`, { headers: auth(ADMIN) })
    ).json()) as RequestLogPage;
    const lines = page.data.filter((entry) => entry.job_id?.includes(batchId));
    return lines.length === 100 ? lines : undefined;
  }, 20_000);
  const hits = logged.filter((entry) => entry.cache === 'hit');
  expect(hits).toHaveLength(50);
  expect(hits.every((entry) => entry.cost_usd === 0 && entry.status === 200)).toBe(true);
  expect(logged.filter((entry) => entry.cache === 'miss' && entry.cost_usd > 0)).toHaveLength(50);
});

it('calls for every request of a batch that does not opt in, though the answers are cached', async () => {
  const before = await usageOf(keys.a);
  const { view } = await runBatch(
    keys.a,
    repeated.map(({ custom_id: customId, ...request }) => ({ ...request, custom_id: `plain-${customId}` })),
  );
  expect(view.results.filter((result) => result.status === 'completed')).toHaveLength(100);
  expect(questions.map(callsFor)).toEqual(questions.map(() => 3));
  expect(view.results.every((result) => result.result!.cost_usd > 0)).toBe(true);
  const after = await usageOf(keys.a);
  expect(after.jobs - before.jobs).toBe(100);
  expect(after.cached_requests).toBe(before.cached_requests);
});

it('answers an OpenAI file batch from the same entries (X-Gateway-Cache: on), a line’s "cache": false calling', async () => {
  const openai = new OpenAI({ baseURL: `${suite.gateway.baseUrl}/v1`, apiKey: keys.a, maxRetries: 0 });
  const lines = questions.slice(0, 10).map((text, index) =>
    JSON.stringify({
      custom_id: `file-${index}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'openai/gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: text }], ...(index === 0 ? { cache: false } : {}) },
    }),
  );
  const file = await openai.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'batch.jsonl'), purpose: 'batch' });
  const created = await openai.batches.create(
    { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' },
    { headers: { 'X-Gateway-Cache': 'on' } },
  );
  let batch = created;
  await waitFor(async () => (batch = await openai.batches.retrieve(created.id)).status === 'completed', 60_000);
  expect(batch.request_counts).toEqual({ total: 10, completed: 10, failed: 0 });
  const output = (await (await openai.files.content(batch.output_file_id!)).text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { custom_id: string; response: { body: { choices: { message: { content: string } }[] } } });
  expect(output.map((line) => [line.custom_id, line.response.body.choices[0]?.message.content])).toEqual(
    questions.slice(0, 10).map((text, index) => [`file-${index}`, `answer to ${JSON.stringify(text)}`]),
  );
  // The header wins over the line: all ten answered from the cache.
  expect(questions.slice(0, 10).map(callsFor)).toEqual(questions.slice(0, 10).map(() => 3));
  // Without the header, the batch's option lets the line that says false call.
  const optioned = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', cache: true } as never);
  await waitFor(async () => (await openai.batches.retrieve(optioned.id)).status === 'completed', 60_000);
  expect(questions.slice(0, 10).map(callsFor)).toEqual([4, ...questions.slice(1, 10).map(() => 3)]);
});

it('caches embeddings lines by default, and answers an asynchronous job (and its kept stream) that opts in', async () => {
  const embeddingLine = (customId: string, text: string) =>
    JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/embeddings', body: { model: 'openai/text-embedding-3-small', input: text } });
  const before = embeddingCalls();
  const body = ['alpha', 'beta', 'alpha', 'beta', 'alpha'].map((text, index) => embeddingLine(`e${index}`, text)).join('\n');
  const created = await fetch(`${suite.gateway.baseUrl}/v1/batches`, {
    method: 'POST',
    headers: { ...auth(keys.b), 'content-type': 'application/jsonl' },
    body,
  });
  expect(created.status).toBe(202);
  const batchId = ((await created.json()) as { batch_id: string }).batch_id;
  await waitFor(
    async () => ((await (await fetch(`${suite.gateway.baseUrl}/v1/batches/${batchId}`, { headers: auth(keys.b) })).json()) as { done: boolean }).done,
    60_000,
  );
  expect(embeddingCalls() - before).toBe(2);
  const results = await (await fetch(`${suite.gateway.baseUrl}/v1/batches/${batchId}/results`, { headers: auth(keys.b) })).text();
  const vectors = results
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.stringify((JSON.parse(line) as { result: { embeddings: number[][] } }).result.embeddings));
  expect(vectors).toHaveLength(5);
  expect(vectors[0]).toMatch(/^\[\[-?\d/);
  expect(vectors[0]).toBe(vectors[2]);
  expect(vectors[2]).toBe(vectors[4]);
  expect(vectors[0]).not.toBe(vectors[1]);

  // An asynchronous job asking what a batch asked: answered from the entry, at no cost, and its kept stream replayed.
  const asked = chatLine('unused', questions[5]!);
  const { custom_id: _unused, ...job } = asked;
  const accepted = await postJson(`${suite.gateway.baseUrl}/v1/jobs`, { ...job, stream: true }, { ...auth(keys.a), 'x-gateway-cache': 'on' });
  expect(accepted.status).toBe(202);
  const jobId = (accepted.body as { job_id: string }).job_id;
  const view = await waitFor(async () => {
    const current = (await (await fetch(`${suite.gateway.baseUrl}/v1/jobs/${jobId}`, { headers: auth(keys.a) })).json()) as {
      status: string;
      result?: { content: string; cost_usd: number };
    };
    return current.status === 'completed' ? current : undefined;
  }, 30_000);
  expect(view.result).toMatchObject({ content: `answer to ${JSON.stringify(questions[5])}`, cost_usd: 0 });
  const stream = await getSse(`${suite.gateway.baseUrl}/v1/jobs/${jobId}/stream`, { headers: auth(keys.a) });
  expect(stream.events.map((event) => (event as { content?: string }).content ?? '').join('')).toBe(`answer to ${JSON.stringify(questions[5])}`);
  expect(stream.events.at(-1)).toMatchObject({ done: true, cost_usd: 0 });
  expect(callsFor(questions[5]!)).toBe(3);
  // Without opting in, the job calls.
  await postJson(`${suite.gateway.baseUrl}/v1/jobs`, job, auth(keys.a));
  await waitFor(async () => callsFor(questions[5]!) === 4, 30_000);
});

it('gives way when the request in flight fails or vanished: the waiting one calls itself, nothing failed is kept', async () => {
  const behave = suite.fake;
  behave.setBehaviour((request) => {
    const text = (request.body as { messages?: { content?: unknown }[] }).messages?.at(-1)?.content;
    return text === 'fails in a batch' && callsFor('fails in a batch') === 1
      ? { kind: 'status', status: 400, body: { error: { message: 'no', code: 400 } } }
      : { kind: 'reply', content: `answer to ${JSON.stringify(text)}`, latencyMs: 300 };
  });
  const { view } = await runBatch(keys.a, { requests: [chatLine('first', 'fails in a batch'), chatLine('second', 'fails in a batch')], cache: true });
  expect(view.results.map((result) => result.status).sort()).toEqual(['completed', 'failed']);
  expect(callsFor('fails in a batch')).toBe(2);

  // A mark whose job never came (its request dropped before it was queued): the waiting request calls once it is sure.
  const hash = responseCacheHash({ temperature: 0, messages: [{ role: 'user', content: 'nobody answers this' }] }, 'openai/gpt-4o-mini');
  await redis.set(`${suite.env['QUEUE_PREFIX']}:cache:{key:${keys.aId}}:${hash}:inflight`, 'ghost-job', 'PX', 600_000);
  const started = Date.now();
  const ghost = await runBatch(keys.a, { requests: [chatLine('orphan', 'nobody answers this')], cache: true });
  expect(ghost.view.results[0]).toMatchObject({ status: 'completed', result: { content: `answer to ${JSON.stringify('nobody answers this')}` } });
  expect(callsFor('nobody answers this')).toBe(1);
  expect(Date.now() - started).toBeLessThan(60_000);
});

it('keeps each key’s part within its byte quota, evicting its oldest entries only, and empties it for operators', async () => {
  const admin = { authorization: `Bearer ${ADMIN}` };
  const cacheOf = async (keyId: string) =>
    (await (await fetch(`${suite.gateway.baseUrl}/admin/cache?key_id=${keyId}`, { headers: admin })).json()) as {
      entries: number;
      bytes: number;
      key_quota_bytes: number;
    };
  const beforeA = await cacheOf(keys.aId);
  expect(beforeA.entries).toBeGreaterThanOrEqual(50);
  // Ten embeddings of 1536 floats (about 30 KB each) for key b: far past its 100 KB.
  for (let index = 0; index < 10; index += 1) {
    const answer = await postJson(
      `${suite.gateway.baseUrl}/v1/embeddings`,
      { model: 'openai/text-embedding-3-small', input: [`quota ${index}`] },
      auth(keys.b),
    );
    expect(answer.status).toBe(200);
  }
  const b = await cacheOf(keys.bId);
  expect(b.key_quota_bytes).toBe(QUOTA);
  expect(b.bytes).toBeLessThanOrEqual(QUOTA);
  expect(b.entries).toBeGreaterThan(0);
  expect(b.entries).toBeLessThan(10);
  // The newest stays, the oldest went.
  const again = async (text: string) =>
    (await postJson(`${suite.gateway.baseUrl}/v1/embeddings`, { model: 'openai/text-embedding-3-small', input: [text] }, auth(keys.b))).headers.get(
      'x-gateway-cache',
    );
  expect(await again('quota 9')).toBe('hit');
  expect(await again('quota 0')).toBe('miss');
  // Key a's entries were never evicted for key b's.
  expect(await cacheOf(keys.aId)).toEqual(beforeA);

  const held = await cacheOf(keys.bId);
  expect(held.bytes).toBeLessThanOrEqual(QUOTA);
  const deleted = await fetch(`${suite.gateway.baseUrl}/admin/cache?key_id=${keys.bId}`, { method: 'DELETE', headers: admin });
  expect(((await deleted.json()) as { deleted: number }).deleted).toBe(held.entries);
  expect(await cacheOf(keys.bId)).toMatchObject({ entries: 0, bytes: 0 });
  expect(await cacheOf(keys.aId)).toEqual(beforeA);
  const all = (await (await fetch(`${suite.gateway.baseUrl}/admin/cache`, { headers: admin })).json()) as { entries: number; bytes: number };
  expect(all).toMatchObject({ entries: beforeA.entries, bytes: beforeA.bytes });
});
