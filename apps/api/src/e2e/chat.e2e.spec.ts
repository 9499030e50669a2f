import { postJson, useGateway } from '@gateway/testing';

const messages = [{ role: 'user', content: 'Say hello' }];

const { fake, gateway } = useGateway({
  name: 'e2e',
  openRouter: { apiKey: 'sk-or-e2e-secret' },
  env: { MOCK_PROVIDER_ENABLED: 'true', PROVIDER_TIMEOUT_MS: '2000', GATEWAY_BODY_LIMIT_BYTES: '4096' },
});

describe('POST /v1/chat through API process, queue and worker process', () => {
  it('answers with content, model, provider, usage, cost and job id', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: 'Hello from upstream', cost: 0.0000123 }));
    const { status, body, headers } = await postJson(
      `${gateway.baseUrl}/v1/chat`,
      { agent_id: 'agent-1', messages, temperature: 0.7, max_tokens: 256 },
      { 'x-request-id': 'req-e2e-1' },
    );
    expect(status).toBe(200);
    expect(headers.get('x-request-id')).toBe('req-e2e-1');
    expect(body).toEqual({
      content: 'Hello from upstream',
      finish_reason: 'stop',
      model: 'thudm/glm-4-9b-chat',
      provider: 'openrouter',
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
      cost_usd: 0.0000123,
      job_id: expect.any(String),
    });
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: 'thudm/glm-4-9b-chat', temperature: 0.7, max_tokens: 256 });
  });

  it('routes mock/ models to the mock provider', async () => {
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/echo' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'mock', content: 'Mock reply to: Say hello', cost_usd: 0 });
  });

  it('serves many concurrent calls, each its own answer', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        postJson(`${gateway.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: `number ${index}` }], model: 'mock/echo' }),
      ),
    );
    results.forEach((result, index) => {
      expect(result.status).toBe(200);
      expect((result.body as { content: string }).content).toBe(`Mock reply to: number ${index}`);
    });
  });

  it('returns an upstream 400 as invalid_request, without failover', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 400, body: { error: { message: 'bad model', code: 400 } } }));
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining('bad model') } });
  });

  it('returns an upstream 503 as 502 upstream_error without the key', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 503 }));
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error: { type: 'upstream_error', request_id: expect.any(String) } });
    expect(JSON.stringify(body)).not.toContain('sk-or-e2e-secret');
  });

  it('never logs the provider key', () => {
    expect(gateway.api.output() + gateway.workers.map((worker) => worker.output()).join('')).not.toContain('sk-or-e2e-secret');
  });
});

describe('bad input on /v1/chat', () => {
  it.each([
    ['wrong types', { messages: 'hello' }, 'messages'],
    ['empty messages', { messages: [] }, 'messages'],
    ['unknown role', { messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role'],
    ['missing content', { messages: [{ role: 'user' }] }, 'messages.0.content'],
    ['out-of-range temperature', { messages, temperature: 9 }, 'temperature'],
    ['negative max_tokens', { messages, max_tokens: -1 }, 'max_tokens'],
    ['an array body', [1, 2, 3], 'JSON object'],
    ['a JSON string body', '"just a string"', 'JSON object'],
    ['a null body', 'null', 'JSON object'],
  ])('answers 400 for %s, naming %s', async (_label, body, field) => {
    const response = await postJson(`${gateway.baseUrl}/v1/chat`, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining(field), request_id: expect.any(String) } });
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await postJson(`${gateway.baseUrl}/v1/chat`, '{"messages": [');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { type: 'invalid_request' } });
  });

  it('answers 415 for a text/plain body (a page could send it cross-site without a preflight)', async () => {
    const response = await fetch(`${gateway.baseUrl}/v1/chat`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { type: 'unsupported_media_type' } });
  });

  it('answers 413 for an oversized body', async () => {
    const response = await postJson(`${gateway.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: { type: 'payload_too_large' } });
  });

  it('answers 404 with the envelope for an unknown route', async () => {
    const response = await fetch(`${gateway.baseUrl}/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { type: 'not_found' } });
  });

  it('is still healthy after all that', async () => {
    const response = await fetch(`${gateway.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(gateway.api.child.exitCode).toBeNull();
    expect(gateway.workers[0]!.child.exitCode).toBeNull();
  });
});
