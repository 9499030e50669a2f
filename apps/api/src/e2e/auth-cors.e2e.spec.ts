import { startApi, startGateway, startRedis, postJson, uniquePrefix, type AppProcess, type GatewayProcesses, type TestRedis } from '@gateway/testing';

const token = 'gw-test-token-0123456789';
const allowedOrigin = 'https://agents.example';
const messages = [{ role: 'user', content: 'hi' }];
const basic = (password: string, user = 'operator') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let redis: TestRedis;
let gateway: GatewayProcesses;
let openApi: { baseUrl: string; process: AppProcess } | undefined;

beforeAll(async () => {
  redis = await startRedis();
  const env = {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('auth'),
    LLM_PROVIDER: 'mock',
    CORS_ALLOWED_ORIGINS: `${allowedOrigin},http://localhost:3000`,
  };
  [gateway, openApi] = await Promise.all([startGateway({ ...env, GATEWAY_AUTH_TOKEN: token }), startApi(env)]);
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), openApi?.process.stop()]);
  await redis?.stop();
});

describe('authentication with GATEWAY_AUTH_TOKEN set', () => {
  it.each([
    ['no header', {}, 'Bearer realm="LLM Gateway"'],
    ['a wrong token of the same length', { authorization: `Bearer ${token.replace(/.$/, 'X')}` }, 'error="invalid_token"'],
    ['a wrong token of another length', { authorization: 'Bearer short' }, 'error="invalid_token"'],
    ['the token in lower-case', { authorization: `Bearer ${token.toUpperCase()}` }, 'error="invalid_token"'],
    ['basic auth (browsers only on /admin)', { authorization: basic(token) }, 'Bearer realm'],
    ['an unknown scheme', { authorization: `Token ${token}` }, 'Bearer realm'],
  ])('refuses /v1/chat with %s: 401 envelope and a challenge', async (_label, headers, challenge) => {
    const { status, body, headers: responseHeaders } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, headers);
    expect(status).toBe(401);
    expect(body).toEqual({ error: { type: 'unauthorized', message: expect.any(String), request_id: expect.any(String) } });
    expect(responseHeaders.get('www-authenticate')).toContain(challenge);
  });

  it.each([
    ['POST', '/v1/chat/completions'],
    ['GET', '/v1/models'],
    ['POST', '/v1/embeddings'],
    ['GET', '/v1/files'],
    ['POST', '/v1/responses'],
  ])("refuses %s %s in OpenAI's error shape, as its SDKs read it", async (method, path) => {
    const response = await fetch(`${gateway.baseUrl}${path}`, {
      method,
      headers: { authorization: 'Bearer wrong', ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: JSON.stringify({ model: 'm', messages, input: 'x' }) } : {}),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'unauthorized' } });
    expect(response.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('serves /v1/chat with the right bearer token', async () => {
    const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, { authorization: `Bearer ${token}` });
    expect(status).toBe(200);
    expect(body).toMatchObject({ provider: 'mock', content: 'Mock reply to: hi' });
  });

  it('covers every /v1 route, including ones that do not exist (401 before 404)', async () => {
    expect((await fetch(`${gateway.baseUrl}/v1/whatever`)).status).toBe(401);
    expect((await fetch(`${gateway.baseUrl}/v1/whatever`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('keeps /healthz and /metrics open', async () => {
    expect((await fetch(`${gateway.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${gateway.baseUrl}/metrics`)).status).toBe(200);
  });

  it('asks browsers for basic auth on /admin and accepts the token as password or as bearer', async () => {
    const anonymous = await fetch(`${gateway.baseUrl}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(await anonymous.json()).toMatchObject({ error: { type: 'unauthorized' } });
    expect((await fetch(`${gateway.baseUrl}/admin/queues`, { headers: { authorization: basic('wrong') } })).status).toBe(401);
    expect((await fetch(`${gateway.baseUrl}/admin/queues`, { headers: { authorization: basic(token) } })).status).toBe(200);
    expect((await fetch(`${gateway.baseUrl}/admin/queues`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${gateway.baseUrl}/admin/anything`)).status).toBe(401);
    const queues = await fetch(`${gateway.baseUrl}/admin/queues/api/queues`, { headers: { authorization: basic(token, '') } });
    expect(queues.status).toBe(200);
    // Both queues of the gateway: the chat jobs and the deliveries to callback URLs.
    const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((queue) => queue.name).sort();
    expect(names).toEqual(['callbacks', 'chat', 'chat-batch', 'chat-job']);
  });

  it('asks for nothing when no token is configured', async () => {
    expect((await fetch(`${openApi!.baseUrl}/v1/whatever`)).status).toBe(404);
    expect((await fetch(`${openApi!.baseUrl}/admin/queues`)).status).toBe(200);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(`${gateway.baseUrl}/v1/chat`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-stainless-os' },
    });

  it('answers a preflight from an allowed origin, without asking for the token', async () => {
    const response = await preflight(allowedOrigin);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-stainless-os');
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it.each(['https://evil.example', 'https://agents.example.evil.example', 'http://agents.example', 'null'])('gives %s no allow header', async (origin) => {
    const response = await preflight(origin);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
    const actual = await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, { origin, authorization: `Bearer ${token}` });
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets an allowed origin read answers, errors included, and the request id', async () => {
    const ok = await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, { origin: 'http://localhost:3000', authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(ok.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    const refused = await postJson(`${gateway.baseUrl}/v1/chat`, { messages }, { origin: allowedOrigin });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
  });

  it('sends no CORS headers to requests without an Origin', async () => {
    const response = await fetch(`${gateway.baseUrl}/healthz`);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
