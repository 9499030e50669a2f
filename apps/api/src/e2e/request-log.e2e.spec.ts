import type { RequestLogEntry, RequestLogPage } from '@gateway/contracts';
import { postJson, useGateway, waitFor } from '@gateway/testing';

const OPENROUTER_KEY = 'sk-or-request-log-secret-1234';
const ADMIN_TOKEN = 'admin-token-for-request-log-e2e';
const TOKEN = 'client-token-for-request-log-e2e';
const PROMPT = 'the secret plan of agent seven';
const ANSWER = 'an answer nobody may read back';
const client = { authorization: `Bearer ${TOKEN}` };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const messages = [{ role: 'user', content: PROMPT }];

const env = { GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN, GATEWAY_AUTH_TOKEN: TOKEN, MOCK_PROVIDER_ENABLED: 'true' };

async function readLog(baseUrl: string, query = '', headers: Record<string, string> = admin): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${baseUrl}/admin/requests${query}`, { headers });
  return { status: response.status, text: await response.text(), headers: response.headers };
}
const page = async (baseUrl: string, query = '') => JSON.parse((await readLog(baseUrl, query)).text) as RequestLogPage;
const entryOf = (baseUrl: string, requestId: string | null) =>
  waitFor(async () => (await page(baseUrl, '?limit=1000')).data.find((entry) => entry.request_id === requestId), 20_000);

describe('the request log (GET /admin/requests), real processes', () => {
  const suite = useGateway({ name: 'request-log', openRouter: { apiKey: OPENROUTER_KEY }, env });
  const baseUrl = () => suite.gateway.baseUrl;

  beforeEach(() => suite.fake.setBehaviour(() => ({ kind: 'reply', content: ANSWER, cachedTokens: 3 })));

  it('logs every finished request of every route as one entry, with no prompt or answer text', async () => {
    const key = (await postJson(`${baseUrl()}/admin/keys`, { name: 'logged', agent_id: 'agent-k', models: ['openai/*'] }, admin)).body as {
      id: string;
      key: string;
    };
    const sync = await postJson(`${baseUrl()}/v1/chat/completions`, { model: 'openai/gpt-4o-mini', messages }, { authorization: `Bearer ${key.key}` });
    expect(sync.status).toBe(200);
    const logged = await entryOf(baseUrl(), sync.headers.get('x-request-id'));
    expect(logged).toMatchObject({
      object: 'request_log.entry',
      key_id: key.id,
      agent_id: 'agent-k',
      route: '/v1/chat/completions',
      model: 'openai/gpt-4o-mini',
      provider: 'openrouter',
      deployment: 'openrouter',
      status: 200,
      error_type: null,
      ttft_ms: null,
      // The response cache is off here: the provider's own prompt cache is in the tokens, not in `cache`.
      cache: 'bypass',
    });
    expect(logged.job_id).toMatch(new RegExp(`^key_`));
    expect(Date.parse(logged.time)).toBeGreaterThan(Date.now() - 60_000);
    expect(logged.latency_ms).toBeGreaterThanOrEqual(logged.queue_ms ?? 0);
    expect(logged.tokens.prompt).toBeGreaterThan(0);
    expect(logged.tokens.cached).toBe(3);
    expect(logged.tokens.completion).toBeGreaterThan(0);
    expect(logged.cost_usd).toBeGreaterThan(0);

    // A stream (its time to first token), the Responses route, an asynchronous job, a batch's lines.
    const stream = await fetch(`${baseUrl()}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...client, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', stream: true, messages }),
    });
    await stream.text();
    const streamed = await entryOf(baseUrl(), stream.headers.get('x-request-id'));
    expect(streamed).toMatchObject({ route: '/v1/chat/completions', status: 200, key_id: null, agent_id: null });
    expect(streamed.ttft_ms).toBeGreaterThanOrEqual(0);
    expect(streamed.ttft_ms).toBeLessThanOrEqual(streamed.latency_ms);

    const responses = await postJson(`${baseUrl()}/v1/responses`, { model: 'openai/gpt-4o-mini', input: PROMPT, store: false }, client);
    expect(responses.status).toBe(200);
    expect(await entryOf(baseUrl(), responses.headers.get('x-request-id'))).toMatchObject({ route: '/v1/responses', status: 200 });

    const job = await postJson(`${baseUrl()}/v1/jobs`, { model: 'openai/gpt-4o-mini', messages }, client);
    expect(job.status).toBe(202);
    expect(await entryOf(baseUrl(), job.headers.get('x-request-id'))).toMatchObject({
      route: '/v1/jobs',
      status: 200,
      job_id: (job.body as { job_id: string }).job_id,
    });

    const batch = await postJson(
      `${baseUrl()}/v1/batches`,
      [
        { model: 'openai/gpt-4o-mini', messages, custom_id: 'a' },
        { model: 'openai/gpt-4o-mini', messages, custom_id: 'b' },
      ],
      client,
    );
    expect(batch.status).toBe(202);
    const batchLines = await waitFor(async () => {
      const lines = (await page(baseUrl(), '?limit=1000')).data.filter((entry) => entry.request_id === batch.headers.get('x-request-id'));
      return lines.length === 2 && lines;
    });
    expect(batchLines.map((entry) => entry.route)).toEqual(['/v1/batches', '/v1/batches']);

    const everything = await readLog(baseUrl(), '?limit=1000');
    expect(everything.text).not.toContain('secret plan');
    expect(everything.text).not.toContain('nobody may read');
    expect((await readLog(baseUrl(), '?limit=1000&format=jsonl')).text).not.toContain('secret plan');
  });

  it('logs failures with their status and error type, and refusals before any job', async () => {
    suite.fake.setBehaviour(() => ({ kind: 'status', status: 500 }));
    const failed = await postJson(`${baseUrl()}/v1/chat/completions`, { model: 'openai/gpt-4o-fail', messages }, client);
    expect(failed.status).toBe(502);
    expect(await entryOf(baseUrl(), failed.headers.get('x-request-id'))).toMatchObject({
      status: 502,
      error_type: 'upstream_error',
      provider: 'openrouter',
      cost_usd: 0,
    });
    const key = (await postJson(`${baseUrl()}/admin/keys`, { name: 'narrow', models: ['openai/*'] }, admin)).body as { id: string; key: string };
    const refused = await postJson(`${baseUrl()}/v1/chat/completions`, { model: 'meta/llama', messages }, { authorization: `Bearer ${key.key}` });
    expect(refused.status).toBe(403);
    expect(await entryOf(baseUrl(), refused.headers.get('x-request-id'))).toMatchObject({
      status: 403,
      error_type: 'forbidden',
      job_id: null,
      key_id: key.id,
      model: 'meta/llama',
      provider: null,
    });
  });

  it('filters by key, agent, model, provider, status and time, and pages with limit and after', async () => {
    for (const agent of ['agent-f1', 'agent-f2', 'agent-f1']) {
      expect((await postJson(`${baseUrl()}/v1/chat`, { model: 'mock/echo', agent_id: agent, messages }, client)).status).toBe(200);
    }
    const ofAgent = await waitFor(async () => {
      const found = (await page(baseUrl(), '?agent_id=agent-f1')).data;
      return found.length === 2 && found;
    });
    expect(ofAgent.every((entry) => entry.agent_id === 'agent-f1' && entry.provider === 'mock')).toBe(true);
    expect((await page(baseUrl(), '?provider=mock&model=mock/echo')).data).toHaveLength(3);
    expect((await page(baseUrl(), '?status=5xx')).data.every((entry) => entry.status >= 500)).toBe(true);
    expect((await page(baseUrl(), '?status=502&provider=mock')).data).toEqual([]);
    const newest = (await page(baseUrl(), '?limit=1')).data[0]!;
    expect((await page(baseUrl(), `?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).data).toEqual([]);
    expect((await page(baseUrl(), `?until=${encodeURIComponent(new Date(Date.parse(newest.time) + 60_000).toISOString())}&limit=1`)).data[0]?.id).toBe(
      newest.id,
    );

    const first = await page(baseUrl(), '?limit=2');
    expect(first).toMatchObject({ object: 'list', has_more: true, first_id: first.data[0]!.id, last_id: first.data[1]!.id });
    const second = await page(baseUrl(), `?limit=2&after=${first.last_id}`);
    expect(second.data.map((entry) => entry.id).some((id) => first.data.some((seen) => seen.id === id))).toBe(false);
    expect(second.data[0]!.id < first.data[1]!.id).toBe(true);

    const jsonl = await readLog(baseUrl(), '?limit=2', { ...admin, accept: 'application/jsonl' });
    expect(jsonl.headers.get('content-type')).toMatch(/^application\/jsonl/);
    expect(jsonl.headers.get('x-has-more')).toBe('true');
    const lines = jsonl.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RequestLogEntry);
    expect(lines.map((entry) => entry.id)).toEqual(first.data.map((entry) => entry.id));
    expect(jsonl.headers.get('x-last-id')).toBe(first.last_id);
  });

  it('refuses a bad query with a 400 naming the parameter, and callers without the admin token', async () => {
    for (const [query, named] of [
      ['?status=abc', 'status'],
      ['?since=yesterday', 'since'],
      ['?limit=0', 'limit'],
      ['?limit=5000', 'limit'],
      ['?after=junk', 'after'],
      ['?format=xml', 'format'],
      ['?model=a&model=b', 'model'],
    ]) {
      const answer = await readLog(baseUrl(), query);
      expect(answer.status).toBe(400);
      expect((JSON.parse(answer.text) as { error: { type: string; message: string } }).error).toMatchObject({
        type: 'invalid_request',
        message: expect.stringContaining(named!),
      });
    }
    expect((await readLog(baseUrl(), '', {})).status).toBe(401);
    expect((await readLog(baseUrl(), '', client)).status).toBe(401);
  });
});

describe('the request log with REQUEST_LOG_BODIES=true', () => {
  const suite = useGateway({ name: 'request-log-bodies', openRouter: { apiKey: OPENROUTER_KEY }, env: { ...env, REQUEST_LOG_BODIES: 'true' } });

  it('keeps the messages and the answer, with secrets redacted as in logs', async () => {
    suite.fake.setBehaviour(() => ({ kind: 'reply', content: ANSWER }));
    const answer = await postJson(
      `${suite.gateway.baseUrl}/v1/chat/completions`,
      { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `${PROMPT}, the key is ${OPENROUTER_KEY}` }] },
      client,
    );
    expect(answer.status).toBe(200);
    const logged = await entryOf(suite.gateway.baseUrl, answer.headers.get('x-request-id'));
    expect(logged.request).toEqual({ messages: [{ role: 'user', content: `${PROMPT}, the key is [redacted]` }] });
    expect(logged.response).toEqual({ content: ANSWER });
  });
});
