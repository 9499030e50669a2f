import type { RequestLogPage } from '@gateway/contracts';
import { postJson, postSse, useGateway, waitFor, type RecordedRequest } from '@gateway/testing';

/**
 * The response cache (RESPONSE_CACHE_TTL_SECONDS) on two API instances, one worker and a fake OpenRouter that
 * counts its calls: hits make none, keys never share entries, identical requests in flight make one, failures are
 * not kept, streams are replayed, and the dialects share one entry.
 */
jest.setTimeout(60_000);
const ADMIN = 'admin-token-for-response-cache-e2e';
const suite = useGateway({
  name: 'response-cache',
  openRouter: { apiKey: 'sk-or-response-cache' },
  env: { RESPONSE_CACHE_TTL_SECONDS: '60', GATEWAY_ADMIN_TOKEN: ADMIN, CIRCUIT_FAILURE_THRESHOLD: '100000' },
});
const second = suite.addApi();

/** The fake's calls whose last message says `text`. */
const callsFor = (text: string) =>
  suite.fake.requests.filter((request: RecordedRequest) => JSON.stringify((request.body as { messages?: unknown[] }).messages?.at(-1) ?? '').includes(text))
    .length;

let keys: { a: string; b: string; aId: string };
beforeAll(async () => {
  const make = async (name: string) =>
    (await postJson(`${suite.gateway.baseUrl}/admin/keys`, { name }, { authorization: `Bearer ${ADMIN}` })).body as { id: string; key: string };
  const [a, b] = await Promise.all([make('cache-a'), make('cache-b')]);
  keys = { a: a!.key, b: b!.key, aId: a!.id };
});
beforeEach(() => {
  suite.fake.setBehaviour((request) => ({
    kind: 'reply',
    content: `answer to ${JSON.stringify((request.body as { messages: unknown[] }).messages.at(-1))}`,
    latencyMs: 200,
  }));
});

const chat = (baseUrl: string, key: string, text: string, headers: Record<string, string> = { 'x-gateway-cache': 'on' }, extra: object = {}) =>
  postJson(
    `${baseUrl}/v1/chat/completions`,
    { model: 'openai/gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: text }], ...extra },
    {
      authorization: `Bearer ${key}`,
      ...headers,
    },
  );

it('answers a repeat from the cache on another instance, with no upstream call, and never across keys', async () => {
  const miss = await chat(suite.gateway.baseUrl, keys.a, 'what is two plus two');
  expect(miss.status).toBe(200);
  expect(miss.headers.get('x-gateway-cache')).toBe('miss');
  const hit = await chat(second.baseUrl, keys.a, 'what is two plus two');
  expect(hit.status).toBe(200);
  expect(hit.headers.get('x-gateway-cache')).toBe('hit');
  expect((hit.body as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(
    (miss.body as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
  );
  expect(callsFor('what is two plus two')).toBe(1);
  // Another key asking the same is a miss of its own; so is a request that does not opt in, or says off.
  const other = await chat(suite.gateway.baseUrl, keys.b, 'what is two plus two');
  expect(other.headers.get('x-gateway-cache')).toBe('miss');
  const plain = await chat(suite.gateway.baseUrl, keys.a, 'what is two plus two', {});
  expect(plain.headers.get('x-gateway-cache')).toBe('bypass');
  const off = await chat(suite.gateway.baseUrl, keys.a, 'what is two plus two', { 'x-gateway-cache': 'off' });
  expect(off.headers.get('x-gateway-cache')).toBe('bypass');
  expect(callsFor('what is two plus two')).toBe(4);
  // The body's "cache": true opts in too; a changed parameter is another entry.
  expect((await chat(suite.gateway.baseUrl, keys.a, 'what is two plus two', {}, { cache: true })).headers.get('x-gateway-cache')).toBe('hit');
  expect((await chat(suite.gateway.baseUrl, keys.a, 'what is two plus two', {}, { cache: true, temperature: 1 })).headers.get('x-gateway-cache')).toBe('miss');
  expect(callsFor('what is two plus two')).toBe(5);
});

it('logs a hit in the request log, though no job ends it: cache hit, no job, nothing billed; a miss and a bypass as such', async () => {
  const entryOf = (requestId: string | null) =>
    waitFor(async () => {
      const response = await fetch(`${suite.gateway.baseUrl}/admin/requests?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return ((await response.json()) as RequestLogPage).data.find((entry) => entry.request_id === requestId);
    });
  const miss = await chat(suite.gateway.baseUrl, keys.a, 'log my cache use');
  const hit = await chat(second.baseUrl, keys.a, 'log my cache use', { 'x-gateway-cache': 'on', 'x-request-id': 'cache-hit-logged' });
  const plain = await chat(suite.gateway.baseUrl, keys.a, 'log my cache use', {});
  expect([miss.headers.get('x-gateway-cache'), hit.headers.get('x-gateway-cache'), plain.headers.get('x-gateway-cache')]).toEqual(['miss', 'hit', 'bypass']);
  const missed = await entryOf(miss.headers.get('x-request-id'));
  expect(missed).toMatchObject({ cache: 'miss', status: 200, key_id: keys.aId, provider: 'openrouter' });
  expect(missed.job_id).not.toBeNull();
  expect(missed.cost_usd).toBeGreaterThan(0);
  const logged = await entryOf('cache-hit-logged');
  expect(logged).toMatchObject({
    cache: 'hit',
    status: 200,
    error_type: null,
    job_id: null,
    key_id: keys.aId,
    route: '/v1/chat/completions',
    model: 'openai/gpt-4o-mini',
    cost_usd: 0,
    tokens: missed.tokens,
  });
  expect(logged.latency_ms).toBeGreaterThanOrEqual(0);
  expect(await entryOf(plain.headers.get('x-request-id'))).toMatchObject({ cache: 'bypass', status: 200 });
  expect(callsFor('log my cache use')).toBe(2);
});

it("serves the gateway's own /v1/chat and /v1/chat/stream from the cache too (header or body), the stream replayed", async () => {
  const body = { model: 'openai/gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: 'the native route asks' }] };
  const headers = { authorization: `Bearer ${keys.a}`, 'x-gateway-cache': 'on' };
  const miss = await postJson(`${suite.gateway.baseUrl}/v1/chat`, body, headers);
  expect(miss.status).toBe(200);
  expect(miss.headers.get('x-gateway-cache')).toBe('miss');
  const hit = await postJson(`${second.baseUrl}/v1/chat`, { ...body, cache: true }, { authorization: `Bearer ${keys.a}` });
  expect(hit.status).toBe(200);
  expect(hit.headers.get('x-gateway-cache')).toBe('hit');
  expect(hit.body).toMatchObject({ content: (miss.body as { content: string }).content, cost_usd: 0, provider: 'openrouter' });
  expect(callsFor('the native route asks')).toBe(1);
  const replayed = await postSse(`${second.baseUrl}/v1/chat/stream`, body, { headers });
  expect(replayed.status).toBe(200);
  expect(replayed.headers.get('x-gateway-cache')).toBe('hit');
  const text = (replayed.events as { content?: string }[]).map((event) => event.content ?? '').join('');
  expect(text).toBe((miss.body as { content: string }).content);
  expect(callsFor('the native route asks')).toBe(1);
  // Not asked: the call is made, the header says bypass; a malformed body is still a 400 before any lookup.
  const plain = await postJson(`${suite.gateway.baseUrl}/v1/chat`, body, { authorization: `Bearer ${keys.a}` });
  expect(plain.headers.get('x-gateway-cache')).toBe('bypass');
  expect(callsFor('the native route asks')).toBe(2);
  const bad = await postJson(`${suite.gateway.baseUrl}/v1/chat`, { ...body, messages: 'no' }, headers);
  expect(bad.status).toBe(400);
});

it('refresh calls the upstream again and writes the entry; a bad mode is a 400', async () => {
  await chat(suite.gateway.baseUrl, keys.a, 'refresh me');
  const refreshed = await chat(suite.gateway.baseUrl, keys.a, 'refresh me', { 'x-gateway-cache': 'refresh' });
  expect(refreshed.headers.get('x-gateway-cache')).toBe('miss');
  expect(callsFor('refresh me')).toBe(2);
  expect((await chat(suite.gateway.baseUrl, keys.a, 'refresh me')).headers.get('x-gateway-cache')).toBe('hit');
  expect(callsFor('refresh me')).toBe(2);
  // An operator empties one key's part of the cache: the next asking misses.
  const emptied = await fetch(`${suite.gateway.baseUrl}/admin/cache?key_id=${keys.aId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
  expect(emptied.status).toBe(200);
  expect(((await emptied.json()) as { deleted: number }).deleted).toBeGreaterThan(0);
  expect((await chat(suite.gateway.baseUrl, keys.a, 'refresh me')).headers.get('x-gateway-cache')).toBe('miss');
  expect(callsFor('refresh me')).toBe(3);
  const bad = await chat(suite.gateway.baseUrl, keys.a, 'refresh me', { 'x-gateway-cache': 'sometimes' });
  expect(bad.status).toBe(400);
  expect(bad.body).toMatchObject({ error: { type: 'invalid_request_error' } });
});

it('makes one upstream call for 20 identical requests in flight together, on two instances', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, index) => chat(index % 2 === 0 ? suite.gateway.baseUrl : second.baseUrl, keys.a, 'asked twenty times at once')),
  );
  expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, () => 200));
  expect(new Set(answers.map((answer) => JSON.stringify((answer.body as { choices: unknown[] }).choices))).size).toBe(1);
  expect(answers.filter((answer) => answer.headers.get('x-gateway-cache') === 'miss')).toHaveLength(1);
  expect(callsFor('asked twenty times at once')).toBe(1);
});

it('keeps no failure: an identical request in flight with a failing one makes its own call, and a later one misses', async () => {
  suite.fake.setBehaviour((request, index) =>
    JSON.stringify(request.body).includes('fails once') && callsFor('fails once') === 1
      ? { kind: 'status', status: 400, body: { error: { message: 'no', code: 400 } }, ...{ index } }
      : { kind: 'reply', content: 'it worked', latencyMs: 200 },
  );
  const [first, waiting] = await Promise.all([
    chat(suite.gateway.baseUrl, keys.a, 'fails once'),
    new Promise((resolve) => setTimeout(resolve, 50)).then(() => chat(second.baseUrl, keys.a, 'fails once')),
  ]);
  expect(first.status).toBe(400);
  expect(waiting.status).toBe(200);
  expect(callsFor('fails once')).toBe(2);
  expect((await chat(suite.gateway.baseUrl, keys.a, 'fails once')).headers.get('x-gateway-cache')).toBe('hit');
  expect(callsFor('fails once')).toBe(2);
});

it('replays a stream as a stream (events, ids, [DONE]), and shares one entry between chat completions, responses and messages', async () => {
  suite.fake.setBehaviour(() => ({ kind: 'tool-calls', calls: [{ name: 'lookup', arguments: '{"q":"x"}' }], content: 'Let me look.' }));
  const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
  const body = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'stream me a tool call' }], tools, stream: true };
  const headers = { authorization: `Bearer ${keys.a}`, 'x-gateway-cache': 'on' };
  const live = await postSse(`${suite.gateway.baseUrl}/v1/chat/completions`, body, { headers });
  expect(live.headers.get('x-gateway-cache')).toBe('miss');
  const replayed = await postSse(`${second.baseUrl}/v1/chat/completions`, body, { headers });
  expect(replayed.status).toBe(200);
  expect(replayed.headers.get('x-gateway-cache')).toBe('hit');
  expect(replayed.headers.get('content-type')).toContain('text/event-stream');
  expect(replayed.ids.every((id) => id !== undefined && /^\d+-\d+$/.test(id))).toBe(true);
  expect(replayed.events.at(-1)).toBe('[DONE]');
  const text = replayed.events.map((event) => (event as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '').join('');
  expect(text).toBe('Let me look.');
  const liveCall = (live.events as { choices?: { delta?: { tool_calls?: { id?: string }[] } }[] }[]).find((event) => event.choices?.[0]?.delta?.tool_calls)
    ?.choices?.[0]?.delta?.tool_calls?.[0]?.id;
  expect(liveCall).toBeDefined();
  expect(JSON.stringify(replayed.events)).toContain(liveCall!);
  expect(JSON.stringify(replayed.events)).toContain('"finish_reason":"tool_calls"');
  // The same question through the Responses API and the Messages API: the same entry, no call.
  const response = await postJson(
    `${suite.gateway.baseUrl}/v1/responses`,
    {
      model: 'openai/gpt-4o-mini',
      input: 'stream me a tool call',
      tools: [{ type: 'function', name: 'lookup', parameters: tools[0]!.function.parameters }],
      store: false,
    },
    headers,
  );
  expect(response.status).toBe(200);
  expect(response.headers.get('x-gateway-cache')).toBe('hit');
  expect(JSON.stringify(response.body)).toContain(liveCall!);
  const message = await postJson(
    `${suite.gateway.baseUrl}/v1/messages`,
    {
      model: 'openai/gpt-4o-mini',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'stream me a tool call' }],
      tools: [{ name: 'lookup', input_schema: tools[0]!.function.parameters }],
    },
    headers,
  );
  expect(message.status).toBe(200);
  expect(JSON.stringify(message.body)).toContain('"tool_use"');
  expect(callsFor('stream me a tool call')).toBe(1 + (message.headers.get('x-gateway-cache') === 'hit' ? 0 : 1));
});

it('counts a hit against the rate limit, not the budget, and in usage; caches embeddings by default', async () => {
  suite.fake.setBehaviour(() => ({ kind: 'reply', content: 'unused' }));
  const limited = (
    (
      await postJson(
        `${suite.gateway.baseUrl}/admin/keys`,
        { name: 'cache-limited', rate_rps: 0.01, rate_burst: 2, daily_budget_usd: 1 },
        { authorization: `Bearer ${ADMIN}` },
      )
    ).body as { key: string }
  ).key;
  const usageOf = async (key: string) =>
    (
      (await (await fetch(`${suite.gateway.baseUrl}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
        day: { spent_usd: number; in_flight_usd: number; jobs: number; cached_requests: number; cache_saved: { tokens: number; cost_usd: number } };
      }
    ).day;
  expect((await chat(suite.gateway.baseUrl, limited, 'rate me')).headers.get('x-gateway-cache')).toBe('miss');
  const spent = await usageOf(limited);
  const hit = await chat(second.baseUrl, limited, 'rate me');
  expect(hit.headers.get('x-gateway-cache')).toBe('hit');
  expect(hit.body).toMatchObject({ cost_usd: 0 });
  // The burst of 2 is spent: a third answer, even from the cache, is a 429.
  expect((await chat(suite.gateway.baseUrl, limited, 'rate me')).status).toBe(429);
  const after = await usageOf(limited);
  expect(after).toMatchObject({ spent_usd: spent.spent_usd, in_flight_usd: 0, jobs: spent.jobs, cached_requests: 1 });
  expect(after.cache_saved.tokens).toBeGreaterThan(0);
  expect(after.cache_saved.cost_usd).toBeGreaterThan(0);
  const first = await postJson(
    `${suite.gateway.baseUrl}/v1/embeddings`,
    { model: 'openai/text-embedding-3-small', input: ['cache me'] },
    { authorization: `Bearer ${keys.a}` },
  );
  expect(first.status).toBe(200);
  expect(first.headers.get('x-gateway-cache')).toBe('miss');
  const calls = suite.fake.requests.length;
  const again = await postJson(
    `${second.baseUrl}/v1/embeddings`,
    { model: 'openai/text-embedding-3-small', input: ['cache me'] },
    { authorization: `Bearer ${keys.a}` },
  );
  expect(again.headers.get('x-gateway-cache')).toBe('hit');
  expect(again.body).toEqual(first.body);
  expect(suite.fake.requests.length).toBe(calls);
});
