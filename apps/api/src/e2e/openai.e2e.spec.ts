import OpenAI from 'openai';
import { postJson, useGateway } from '@gateway/testing';

const { gateway } = useGateway({
  name: 'openai',
  env: {
    LLM_PROVIDER: 'mock',
    LLM_DEFAULT_MODEL: 'mock/echo',
    GATEWAY_MODELS: 'mock/echo,thudm/glm-4-9b-chat',
    GATEWAY_BODY_LIMIT_BYTES: '4096',
    // These suites make the mock fail on purpose: keep its circuit closed.
    CIRCUIT_FAILURE_THRESHOLD: '1000',
  },
});
let openai: OpenAI;
beforeAll(() => {
  openai = new OpenAI({ baseURL: `${gateway.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

describe('the official openai SDK against /v1', () => {
  it('creates a chat completion', async () => {
    const completion = await openai.chat.completions.create({
      model: 'mock/echo',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'Hello SDK' },
      ],
      temperature: 0.3,
      max_tokens: 20,
      user: 'sdk-agent',
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0]?.message).toEqual({ role: 'assistant', content: 'Mock reply to: Hello SDK', refusal: null });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
    expect(completion.model).toBe('echo');
  });

  it('lists and retrieves models', async () => {
    const page = await openai.models.list();
    expect(page.data.map((model) => model.id)).toEqual(['mock/echo', 'thudm/glm-4-9b-chat']);
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'mock' });
    expect((await openai.models.retrieve('mock/echo')).id).toBe('mock/echo');
  });

  it('raises the SDK error classes with OpenAI-shaped bodies', async () => {
    const badRequest = await openai.chat.completions.create({ model: 'mock/echo', messages: [] }).catch((error: unknown) => error);
    expect(badRequest).toBeInstanceOf(OpenAI.BadRequestError);
    expect((badRequest as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_request',
      param: null,
      message: expect.stringContaining('messages'),
    });

    const upstream = await openai.chat.completions
      .create({ model: 'mock/x?fail=upstream_error', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(upstream).toBeInstanceOf(OpenAI.InternalServerError);
    expect((upstream as InstanceType<typeof OpenAI.APIError>).status).toBe(502);

    const missing = await openai.models.retrieve('no/such-model').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('POST /v1/chat/completions over plain HTTP', () => {
  it('takes the agent from X-Agent-Id and ignores fields it does not know', async () => {
    const response = await postJson(
      `${gateway.baseUrl}/v1/chat/completions`,
      { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }], presence_penalty: 0.5, n: 1 },
      { 'x-agent-id': 'header-agent' },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ choices: [{ message: { content: 'Mock reply to: hi' } }], provider: 'mock' });
    expect(gateway.api.output()).toContain('/v1/chat/completions');
  });

  it.each([
    ['an X-Agent-Id header past the agent id limit', {}, { 'x-agent-id': 'a'.repeat(129) }, 'X-Agent-Id'],
    ['an empty X-Agent-Id header', {}, { 'x-agent-id': '' }, 'X-Agent-Id'],
    ['a user past the agent id limit', { user: 'u'.repeat(200) }, {}, 'user'],
  ])('refuses %s with 400 naming it, as a body field would be', async (_label, extra, headers, named) => {
    const response = await postJson(
      `${gateway.baseUrl}/v1/chat/completions`,
      { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }], ...extra },
      headers,
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: { message: expect.stringContaining(named), type: 'invalid_request_error', param: null, code: 'invalid_request' } });
  });

  it.each([
    ['malformed JSON', '{"messages": [', 400, 'invalid_request_error'],
    ['an oversized body', JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }), 413, 'invalid_request_error'],
    ['n > 1', JSON.stringify({ messages: [{ role: 'user', content: 'x' }], n: 3 }), 400, 'invalid_request_error'],
  ])('answers %s in OpenAI error shape', async (_label, body, status, type) => {
    const response = await postJson(`${gateway.baseUrl}/v1/chat/completions`, body);
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: { message: expect.any(String), type, param: null, code: expect.any(String) } });
  });

  it('keeps the gateway envelope on other routes', async () => {
    const response = await postJson(`${gateway.baseUrl}/v1/chat`, '{"messages": [');
    expect(response.body).toMatchObject({ error: { type: 'invalid_request', request_id: expect.any(String) } });
  });
});
