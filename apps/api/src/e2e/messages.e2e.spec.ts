import Anthropic from '@anthropic-ai/sdk';
import { useGateway } from '@gateway/testing';

// One API instance and one worker on one Redis, the mock provider: Anthropic's Messages API through the official SDK.
jest.setTimeout(60_000);
const ADMIN = 'admin-token-for-messages-e2e';
const suite = useGateway({
  name: 'messages',
  env: {
    LLM_PROVIDER: 'mock',
    LLM_DEFAULT_MODEL: 'mock/echo',
    LLM_MODEL_ALIASES: 'claude-sonnet-4-5=mock/echo,claude-failing=mock/echo?fail=upstream_error',
    GATEWAY_ADMIN_TOKEN: ADMIN,
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    GATEWAY_RATE_RPS: '1000',
    GATEWAY_RATE_BURST: '1000',
    STREAM_KEEPALIVE_MS: '50',
  },
});

async function createKey(fields: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(`${suite.gateway.baseUrl}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'messages', ...fields }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { key: string }).key;
}

let key: string;
let anthropic: Anthropic;
beforeAll(async () => {
  key = await createKey();
  anthropic = new Anthropic({ baseURL: suite.gateway.baseUrl, apiKey: key, maxRetries: 0 });
});

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'the weather of a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** A raw call, for what the SDK hides (statuses, headers, bodies of errors). */
async function post(path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': key }) {
  const response = await fetch(`${suite.gateway.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('POST /v1/messages with the Anthropic SDK', () => {
  it('creates a Message in Anthropic shape, the alias naming the model (x-api-key)', async () => {
    const message = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Hello Messages' }],
      metadata: { user_id: 'user-1' },
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'echo',
      stop_reason: 'end_turn',
      stop_sequence: null,
      content: [{ type: 'text', text: expect.stringContaining('Hello Messages') }],
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    expect(message.id).toMatch(/^msg_/);
  });

  it('streams with the helpers: text events, finalMessage, events in Anthropic order', async () => {
    const stream = anthropic.messages.stream({ model: 'mock/echo?chunk_delay=5', max_tokens: 100, messages: [{ role: 'user', content: 'stream me please' }] });
    const types: string[] = [];
    let text = '';
    stream.on('streamEvent', (event) => types.push(event.type));
    stream.on('text', (delta) => (text += delta));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text, citations: undefined }].map(({ citations: _c, ...block }) => block));
    expect(text).toContain('stream me please');
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(new Set(types.slice(2, -3))).toEqual(new Set(['content_block_delta']));
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('sends `ping` events (after message_start) while the answer is awaited', async () => {
    const { status, text } = await post('/v1/messages', {
      model: 'mock/echo?latency=300',
      max_tokens: 50,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(status).toBe(200);
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);
    expect(events[0]).toBe('message_start');
    expect(events[1]).toBe('ping');
    expect(events.filter((name) => name === 'message_start')).toHaveLength(1);
    expect(events.at(-1)).toBe('message_stop');
    expect(text).not.toMatch(/^: ping/m);
  });

  it('tools: tool_use blocks, input_json_delta fragments, tool_result back, the answer', async () => {
    const first = await anthropic.messages.create({ model: 'mock/echo', max_tokens: 100, tools: [weather], messages: [{ role: 'user', content: 'Paris?' }] });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((block) => block.type === 'tool_use');
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: expect.any(String) } });

    const stream = anthropic.messages.stream({
      model: 'mock/echo',
      max_tokens: 100,
      tools: [weather],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Rome?' }],
    });
    const json: string[] = [];
    stream.on('inputJson', (partial) => json.push(partial));
    const streamed = await stream.finalMessage();
    expect(json.length).toBeGreaterThan(0);
    expect(streamed.content.find((block) => block.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: expect.any(String) } });

    const answer = await anthropic.messages.create({
      model: 'mock/echo',
      max_tokens: 100,
      tools: [weather],
      messages: [
        { role: 'user', content: 'Paris?' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: (call as Anthropic.ToolUseBlock).id, content: 'sunny', cache_control: { type: 'ephemeral' } }],
        },
      ],
    });
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.content[0]).toMatchObject({ type: 'text' });
  });

  it('takes images (base64 and URL) and text documents', async () => {
    const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const message = await anthropic.messages.create({
      model: 'mock/echo',
      max_tokens: 50,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pixel } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'the doc' }, title: 'Doc' },
            { type: 'text', text: 'describe' },
          ],
        },
      ],
    });
    expect(message.content[0]).toMatchObject({ type: 'text' });
  });

  it('count_tokens answers an estimate in Anthropic shape', async () => {
    const small = await anthropic.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
    const large = await anthropic.messages.countTokens({
      model: 'claude-sonnet-4-5',
      system: 'a long system prompt '.repeat(100),
      tools: [weather],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(small.input_tokens).toBeGreaterThan(0);
    expect(large.input_tokens).toBeGreaterThan(small.input_tokens + 300);
  });

  it('lists the aliases on /v1/models', async () => {
    const response = await fetch(`${suite.gateway.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    const ids = ((await response.json()) as { data: { id: string }[] }).data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['mock/echo', 'claude-sonnet-4-5']));
  });
});

describe('errors in Anthropic shape and statuses', () => {
  const shape = (text: string) => JSON.parse(text) as { type: string; error: { type: string; message: string } };

  it('400 invalid_request_error: max_tokens missing, a server tool named, through the SDK too', async () => {
    const missing = await post('/v1/messages', { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] });
    expect(missing.status).toBe(400);
    expect(shape(missing.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } });
    const server = await post('/v1/messages', {
      model: 'mock/echo',
      max_tokens: 10,
      tools: [{ type: 'web_search_20250305', name: 'web_search' }],
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(server.status).toBe(400);
    expect(shape(server.text).error.message).toMatch(/web_search_20250305 \(web_search\)/);
    await expect(anthropic.messages.create({ model: 'mock/echo', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
  });

  it('401 authentication_error without a key or with a wrong one', async () => {
    const none = await post('/v1/messages', { model: 'mock/echo', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, {});
    // The suite's gateway is open without a static token: a wrong gwk_ key is still refused.
    const wrong = await post('/v1/messages', { model: 'mock/echo', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': 'gwk_wrong' });
    expect(wrong.status).toBe(401);
    expect(shape(wrong.text)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect([200, 401]).toContain(none.status);
    const sdk = new Anthropic({ baseURL: suite.gateway.baseUrl, apiKey: 'gwk_wrong', maxRetries: 0 });
    await expect(sdk.messages.create({ model: 'mock/echo', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });

  it('403 permission_error for a model outside the key allow-list (the alias resolved first)', async () => {
    const limited = await createKey({ models: ['mock/other'] });
    const response = await post(
      '/v1/messages',
      { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      { 'x-api-key': limited },
    );
    expect(response.status).toBe(403);
    expect(shape(response.text).error.type).toBe('permission_error');
  });

  it('404 not_found_error for a Messages path not served', async () => {
    const response = await post('/v1/messages/unknown', {});
    expect(response.status).toBe(404);
    expect(shape(response.text).error.type).toBe('not_found_error');
  });

  it('429 rate_limit_error with retry-after', async () => {
    const slow = await createKey({ rate_rps: 0.01, rate_burst: 1 });
    const body = { model: 'mock/echo', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    expect((await post('/v1/messages', body, { 'x-api-key': slow })).status).toBe(200);
    const refused = await post('/v1/messages', body, { 'x-api-key': slow });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(shape(refused.text).error.type).toBe('rate_limit_error');
  });

  it('529 overloaded_error when every provider failed; a stream that fails says so in an `error` event', async () => {
    const plain = await post('/v1/messages', { model: 'claude-failing', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(plain.status).toBe(529);
    expect(shape(plain.text).error.type).toBe('overloaded_error');
    const streamed = await post('/v1/messages', {
      model: 'mock/echo?fail=upstream_error&latency=200',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    // The pings began the stream: the failure is its last event.
    expect(streamed.status).toBe(200);
    expect(streamed.text).toMatch(/event: error\n(id: \S+\n)?data: \{"type":"error","error":\{"type":"overloaded_error"/);
    expect(streamed.text).not.toContain('message_stop');
  });
});
