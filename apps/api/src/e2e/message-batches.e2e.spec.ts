import Anthropic, { AnthropicError } from '@anthropic-ai/sdk';
import { postJson, useGateway, waitFor } from '@gateway/testing';

/**
 * Anthropic's Message Batches API driven by the official SDK, unchanged, against a real API and worker on the fake
 * OpenRouter (its wire format, its errors): create, retrieve until ended, list, results, cancel, delete; each key
 * sees its own batches only; refusals in Anthropic's shape, naming the request; a worker killed mid-batch loses
 * nothing.
 */
jest.setTimeout(90_000);

const ADMIN = 'admin-token-for-message-batches';
const MODEL = 'acme/batch-model';
/** What the fake answers a request whose last user message is `text`. */
const answerTo = (text: string) => `Answer to: ${text}`;
const lastUserText = (body: unknown): string => {
  const messages = (body as { messages?: { role: string; content: unknown }[] }).messages ?? [];
  const content = messages.filter((message) => message.role === 'user').at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content);
};

const suite = useGateway({
  name: 'message-batches',
  openRouter: {
    apiKey: 'sk-or-message-batches',
    // Prompt tokens free, $1000 per million completion tokens: a 3-token answer costs $0.003 (max_cost_usd below).
    models: { kind: 'list', models: [{ id: MODEL, prompt: '0', completion: '0.001' }] },
    behave: (request) => {
      const text = lastUserText(request.body);
      if (text.startsWith('refuse')) return { kind: 'status', status: 400, body: { error: { message: 'the upstream refused this one', code: 400 } } };
      // Three words: exactly the cost its max_tokens of 3 reserved.
      if (text.startsWith('capped')) return { kind: 'reply', content: 'one two three', cost: null };
      return { kind: 'reply', content: answerTo(text), cost: null, ...(text.startsWith('slow') ? { latencyMs: 400 } : {}) };
    },
  },
  env: {
    GATEWAY_ADMIN_TOKEN: ADMIN,
    LLM_MODEL_ALIASES: `claude-sonnet-4-5=${MODEL}`,
    WORKER_CONCURRENCY: '2',
    GATEWAY_RATE_RPS: '100000',
    GATEWAY_RATE_BURST: '100000',
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    PRICING_REFRESH_MS: '600000',
    // A worker killed mid-request has its requests taken over within a few seconds.
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
  },
});

const keys = { first: '', second: '' };
let anthropic: Anthropic;
let other: Anthropic;
beforeAll(async () => {
  for (const name of ['first', 'second'] as const) {
    const created = await postJson(`${suite.gateway.baseUrl}/admin/keys`, { name }, { authorization: `Bearer ${ADMIN}` });
    keys[name] = (created.body as { key: string }).key;
  }
  anthropic = new Anthropic({ baseURL: suite.gateway.baseUrl, apiKey: keys.first, maxRetries: 0 });
  other = new Anthropic({ baseURL: suite.gateway.baseUrl, apiKey: keys.second, maxRetries: 0 });
});

const request = (customId: string, text: string, params: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) => ({
  custom_id: customId,
  params: { model: 'claude-sonnet-4-5', max_tokens: 3, messages: [{ role: 'user' as const, content: text }], ...params },
});

async function ended(id: string, client = anthropic): Promise<Anthropic.Messages.MessageBatch> {
  let batch: Anthropic.Messages.MessageBatch | undefined;
  await waitFor(async () => {
    batch = await client.messages.batches.retrieve(id);
    return batch.processing_status === 'ended';
  }, 45_000);
  return batch!;
}

async function resultsOf(id: string, client = anthropic): Promise<Anthropic.Messages.MessageBatchIndividualResponse[]> {
  const lines: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
  for await (const line of await client.messages.batches.results(id)) lines.push(line);
  return lines;
}

/** A raw call, for what the SDK hides (statuses and error bodies). */
async function raw(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${suite.gateway.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': keys.first, 'anthropic-version': '2023-06-01', ...options.headers },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, body: (text.startsWith('{') ? JSON.parse(text) : undefined) as Record<string, unknown> | undefined };
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('Message Batches through the official Anthropic SDK', () => {
  it('creates, retrieves until ended and reads the results: each custom_id its own answer, an upstream refusal errored', async () => {
    const texts = ['what is one', 'what is two', 'what is three', 'refuse this', 'what is five'];
    const created = await anthropic.messages.batches.create({ requests: texts.map((text, index) => request(`req-${index}`, text)) });
    expect(created).toMatchObject({ type: 'message_batch', archived_at: null, cancel_initiated_at: null, id: expect.stringMatching(/^msgbatch_/) });
    expect(created.created_at).toMatch(rfc3339);
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(24 * 3600 * 1000);
    expect(Object.values(created.request_counts).reduce((sum, count) => sum + count, 0)).toBe(5);
    if (created.processing_status !== 'ended') expect(created).toMatchObject({ processing_status: 'in_progress', results_url: null, ended_at: null });

    const batch = await ended(created.id);
    expect(batch.request_counts).toEqual({ processing: 0, succeeded: 4, errored: 1, canceled: 0, expired: 0 });
    expect(batch.ended_at).toMatch(rfc3339);
    expect(batch.results_url).toBe(`/v1/messages/batches/${created.id}/results`);

    const lines = await resultsOf(created.id);
    expect(lines.map((line) => line.custom_id)).toEqual(texts.map((_, index) => `req-${index}`));
    for (const [index, line] of lines.entries()) {
      if (texts[index] === 'refuse this') {
        expect(line.result).toMatchObject({ type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) } } });
        continue;
      }
      expect(line.result.type).toBe('succeeded');
      const { message } = line.result as Anthropic.Messages.MessageBatchSucceededResult;
      expect(message).toMatchObject({ type: 'message', role: 'assistant', model: MODEL, stop_reason: 'end_turn', id: expect.stringMatching(/^msg_/) });
      expect(message.content).toEqual([{ type: 'text', text: answerTo(texts[index]!) }]);
      expect(message.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    }
    // The upstream got each request in its own wire format, the alias resolved.
    const sent = suite.fake.requests.filter((call) => texts.includes(lastUserText(call.body)));
    expect(sent).toHaveLength(5);
    expect(new Set(sent.map((call) => (call.body as { model: string }).model))).toEqual(new Set([MODEL]));

    // Not an OpenAI batch: its id and its results are not served there.
    const gatewayId = created.id.slice('msgbatch_'.length);
    expect((await raw('GET', `/v1/batches/${gatewayId}`, { headers: { authorization: `Bearer ${keys.first}` } })).status).toBe(404);
  });

  it('lists newest first, paged by after_id and before_id', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) ids.push((await anthropic.messages.batches.create({ requests: [request('only', `list ${index}`)] })).id);
    const page = await anthropic.messages.batches.list({ limit: 2 });
    expect(page.data.map((batch) => batch.id)).toEqual([ids[2], ids[1]]);
    expect(page).toMatchObject({ has_more: true, first_id: ids[2], last_id: ids[1] });
    const seen: string[] = [];
    for await (const batch of anthropic.messages.batches.list({ limit: 2 })) seen.push(batch.id);
    expect(seen.slice(0, 3)).toEqual([ids[2], ids[1], ids[0]]);
    expect(new Set(seen).size).toBe(seen.length);
    // Back towards the newest from the oldest of the three.
    const newer = await anthropic.messages.batches.list({ before_id: ids[0], limit: 1 });
    expect(newer.data.map((batch) => batch.id)).toEqual([ids[1]]);
    expect(newer.has_more).toBe(true);
    const newest = await anthropic.messages.batches.list({ before_id: ids[2] });
    expect(newest).toMatchObject({ data: [], has_more: false });
    const refused = await raw('GET', '/v1/messages/batches?limit=0');
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('limit') } });
  });

  it('cancels mid-run: canceling, then ended with canceled lines for what had not run', async () => {
    const created = await anthropic.messages.batches.create({ requests: Array.from({ length: 12 }, (_, index) => request(`slow-${index}`, `slow ${index}`)) });
    await waitFor(async () => (await anthropic.messages.batches.retrieve(created.id)).request_counts.succeeded >= 1, 20_000);
    // The results are not served before the batch has ended: the SDK says so, the route answers 400.
    await expect(anthropic.messages.batches.results(created.id)).rejects.toThrow(AnthropicError);
    const early = await raw('GET', `/v1/messages/batches/${created.id}/results`);
    expect(early.status).toBe(400);
    expect(early.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('has not ended') } });
    // Nor deleted while it runs.
    await expect(anthropic.messages.batches.delete(created.id)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('cancel it first') });

    const canceling = await anthropic.messages.batches.cancel(created.id);
    expect(['canceling', 'ended']).toContain(canceling.processing_status);
    expect(canceling.cancel_initiated_at).toMatch(rfc3339);
    const batch = await ended(created.id);
    const { succeeded, canceled } = batch.request_counts;
    expect(succeeded).toBeGreaterThanOrEqual(1);
    expect(canceled).toBeGreaterThanOrEqual(1);
    expect(succeeded + canceled).toBe(12);
    const lines = await resultsOf(created.id);
    expect(lines.map((line) => line.custom_id)).toEqual(Array.from({ length: 12 }, (_, index) => `slow-${index}`));
    expect(lines.filter((line) => line.result.type === 'canceled')).toHaveLength(canceled);
    for (const line of lines.filter((entry) => entry.result.type === 'succeeded'))
      expect((line.result as Anthropic.Messages.MessageBatchSucceededResult).message.content).toEqual([
        { type: 'text', text: answerTo(`slow ${line.custom_id.slice('slow-'.length)}`) },
      ]);

    const deleted = await anthropic.messages.batches.delete(created.id);
    expect(deleted).toEqual({ id: created.id, type: 'message_batch_deleted' });
    await expect(anthropic.messages.batches.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    expect((await raw('GET', `/v1/messages/batches/${created.id}/results`)).status).toBe(404);
  });

  it("answers 404 in Anthropic's shape for another key's batch, and lists only the caller's", async () => {
    const mine = await anthropic.messages.batches.create({ requests: [request('mine', 'mine only')] });
    await ended(mine.id);
    for (const call of [
      () => other.messages.batches.retrieve(mine.id),
      () => other.messages.batches.cancel(mine.id),
      () => other.messages.batches.delete(mine.id),
      () => other.messages.batches.results(mine.id),
    ])
      await expect(call()).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const refused = await raw('GET', `/v1/messages/batches/${mine.id}`, { headers: { 'x-api-key': keys.second } });
    expect(refused.status).toBe(404);
    expect(refused.body).toMatchObject({ type: 'error', error: { type: 'not_found_error', message: expect.stringContaining(mine.id) } });
    expect((await raw('GET', `/v1/messages/batches/${mine.id}/results`, { headers: { 'x-api-key': keys.second } })).status).toBe(404);
    const listed: string[] = [];
    for await (const batch of other.messages.batches.list()) listed.push(batch.id);
    expect(listed).not.toContain(mine.id);
    // The owner reads it with either header.
    const bearer = await raw('GET', `/v1/messages/batches/${mine.id}`, { headers: { 'x-api-key': '', authorization: `Bearer ${keys.first}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.body).toMatchObject({ id: mine.id, processing_status: 'ended' });
    const anonymous = await raw('GET', `/v1/messages/batches/${mine.id}`, { headers: { 'x-api-key': '' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('refuses bad params with a 400 naming the request and its field, creating nothing', async () => {
    const before = (await anthropic.messages.batches.list({ limit: 1000 })).data.length;
    const requests: unknown[] = [request('a', 'fine'), request('b', 'fine too'), { custom_id: 'c', params: { model: 'claude-sonnet-4-5', messages: [] } }];
    const refused = await raw('POST', '/v1/messages/batches', { body: { requests } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const message = (refused.body!['error'] as { message: string }).message;
    expect(message).toContain('requests.2.params.max_tokens');
    expect(message).toContain('requests.2.params.messages');
    await expect(
      anthropic.messages.batches.create({
        requests: [request('x', 'one'), { custom_id: 'y', params: { model: 'claude-sonnet-4-5', max_tokens: 0, messages: [] } }],
      }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('requests.1.params.max_tokens') });
    for (const [requestsBody, field] of [
      [[request('same', 'one'), request('same', 'two')], 'requests.1.custom_id'],
      [[request('not an id!', 'one')], 'requests.0.custom_id'],
      [[request('streamed', 'one', { stream: true } as never)], 'requests.0.params.stream'],
      [[request('ok', 'one'), { custom_id: 'no-params' }], 'requests.1.params'],
      [[], 'no requests'],
    ] as const) {
      const answer = await raw('POST', '/v1/messages/batches', { body: { requests: requestsBody } });
      expect(answer.status).toBe(400);
      expect((answer.body!['error'] as { message: string }).message).toContain(field);
    }
    const notJson = await raw('POST', '/v1/messages/batches', { headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ type: 'error' });
    expect((await anthropic.messages.batches.list({ limit: 1000 })).data.length).toBe(before);
  });

  it('joins the batch an Idempotency-Key already made; another body under the key is a conflict', async () => {
    const body = { requests: [request('keyed', 'keyed once')] };
    const first = await anthropic.messages.batches.create(body, { headers: { 'idempotency-key': 'mb-key-1' } });
    const again = await anthropic.messages.batches.create(body, { headers: { 'idempotency-key': 'mb-key-1' } });
    expect(again.id).toBe(first.id);
    await expect(
      anthropic.messages.batches.create({ requests: [request('keyed', 'another body')] }, { headers: { 'idempotency-key': 'mb-key-1' } }),
    ).rejects.toMatchObject({ status: 409 });
    await ended(first.id);
    expect(suite.fake.requests.filter((call) => lastUserText(call.body) === 'keyed once')).toHaveLength(1);
  });

  it('keeps to max_cost_usd (an extension): the requests past the cap end errored with billing_error, unrun', async () => {
    const created = await raw('POST', '/v1/messages/batches', {
      body: { requests: Array.from({ length: 6 }, (_, index) => request(`cap-${index}`, `capped ${index}`)), max_cost_usd: 0.006 },
    });
    expect(created.status).toBe(200);
    const batch = await ended(created.body!['id'] as string);
    expect(batch.request_counts).toMatchObject({ succeeded: 2, errored: 4 });
    const errored = (await resultsOf(batch.id)).filter((line) => line.result.type === 'errored');
    expect(errored).toHaveLength(4);
    for (const line of errored) expect(line.result).toMatchObject({ error: { type: 'error', error: { type: 'billing_error' } } });
    expect(suite.fake.requests.filter((call) => lastUserText(call.body).startsWith('capped'))).toHaveLength(2);
  });

  it('loses nothing when its worker is killed mid-batch: another takes the requests over', async () => {
    const created = await anthropic.messages.batches.create({
      requests: Array.from({ length: 8 }, (_, index) => request(`kill-${index}`, `slow kill ${index}`)),
    });
    await waitFor(async () => (await anthropic.messages.batches.retrieve(created.id)).request_counts.succeeded >= 1, 20_000);
    const [worker] = suite.gateway.workers;
    worker!.child.kill('SIGKILL');
    await worker!.exited();
    await suite.startWorker();
    const batch = await ended(created.id);
    expect(batch.request_counts).toEqual({ processing: 0, succeeded: 8, errored: 0, canceled: 0, expired: 0 });
    const lines = await resultsOf(created.id);
    expect(lines.map((line) => (line.result as Anthropic.Messages.MessageBatchSucceededResult).message.content)).toEqual(
      Array.from({ length: 8 }, (_, index) => [{ type: 'text', text: answerTo(`slow kill ${index}`) }]),
    );
  });
});
