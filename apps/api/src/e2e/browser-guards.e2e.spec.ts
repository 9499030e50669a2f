import { request } from 'node:http';
import { startGateway, startRedis, stopAll, uniquePrefix, type GatewayProcesses, type TestRedis } from '@gateway/testing';

// With auth off (the default), these guards are all that stands between a web page and billed calls.
const allowedOrigin = 'https://agents.example';
const chat = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], model: 'mock/echo' });
const envelope = (type: string) => ({ error: { type, message: expect.any(String), request_id: expect.any(String) } });

let redis: TestRedis;
let gateway: GatewayProcesses;

beforeAll(async () => {
  redis = await startRedis();
  gateway = await startGateway({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('browser'), LLM_PROVIDER: 'mock', CORS_ALLOWED_ORIGINS: allowedOrigin });
});
afterAll(() => stopAll(gateway, redis));

/** A request with a Host header of our choosing (fetch sets its own). */
function withHost(path: string, host: string): Promise<{ status: number; nosniff: string | undefined; body: unknown }> {
  const url = new URL(path, gateway.baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request({ hostname: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          nosniff: res.headers['x-content-type-options'] as string | undefined,
          body: JSON.parse(text || 'null') as unknown,
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('browser protections', () => {
  it.each(['/v1/batches', '/v1/chat', '/v1/jobs', '/v1/chat/stream'])('refuses text/plain on %s with 415 in the gateway envelope', async (route) => {
    const response = await fetch(`${gateway.baseUrl}${route}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: chat });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual(envelope('unsupported_media_type'));
  });

  it.each(['/v1/chat/completions', '/v1/responses', '/v1/embeddings'])("refuses text/plain on %s with 415 in OpenAI's shape", async (route) => {
    const response = await fetch(`${gateway.baseUrl}${route}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: chat });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: 'unsupported_media_type' },
    });
  });

  it('refuses form bodies too (also sent without a preflight)', async () => {
    const response = await fetch(`${gateway.baseUrl}/v1/batches`, { method: 'POST', body: new URLSearchParams({ a: chat }) });
    expect(response.status).toBe(415);
  });

  it.each(['http://evil.test', 'null', `${allowedOrigin}.evil.test`])('refuses a POST from origin %s with 403, even as JSON', async (origin) => {
    const response = await fetch(`${gateway.baseUrl}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: chat });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual(envelope('forbidden'));
  });

  it('refuses a DELETE from a foreign origin', async () => {
    const response = await fetch(`${gateway.baseUrl}/v1/jobs/00000000-0000-4000-8000-000000000000`, {
      method: 'DELETE',
      headers: { origin: 'http://evil.test' },
    });
    expect(response.status).toBe(403);
  });

  it('serves an allowed origin, the gateway’s own origin, requests without Origin, and safe requests from anywhere', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${gateway.baseUrl}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: chat });
    expect((await post({ origin: allowedOrigin })).status).toBe(200);
    expect((await post({ origin: gateway.baseUrl })).status).toBe(200);
    expect((await post({})).status).toBe(200);
    expect((await fetch(`${gateway.baseUrl}/healthz`, { headers: { origin: 'http://evil.test' } })).status).toBe(200);
  });

  it.each(['evil.test', 'evil.test:80', '127.0.0.1.nip.io', 'localhost.evil.test'])(
    'refuses Host %p on a loopback gateway with 403 (DNS rebinding)',
    async (host) => {
      const answer = await withHost('/v1/providers', host);
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual(envelope('forbidden'));
    },
  );

  it.each(['localhost', '127.0.0.1', 'LOCALHOST:8080', '[::1]:1234'])('accepts Host %p on a loopback gateway', async (host) => {
    expect((await withHost('/healthz', host)).status).toBe(200);
  });

  it('sends X-Content-Type-Options: nosniff on every answer', async () => {
    const answers = await Promise.all([
      fetch(`${gateway.baseUrl}/healthz`),
      fetch(`${gateway.baseUrl}/metrics`),
      fetch(`${gateway.baseUrl}/no/such/route`),
      fetch(`${gateway.baseUrl}/v1/chat`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
    ]);
    expect(answers.map((answer) => [answer.status, answer.headers.get('x-content-type-options')])).toEqual([
      [200, 'nosniff'],
      [200, 'nosniff'],
      [404, 'nosniff'],
      [415, 'nosniff'],
    ]);
    expect((await withHost('/healthz', 'evil.test')).nosniff).toBe('nosniff');
  });
});
