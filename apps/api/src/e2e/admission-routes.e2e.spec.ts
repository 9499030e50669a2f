import OpenAI from 'openai';
import { postJson, postSse, useGateway } from '@gateway/testing';

const messages = [{ role: 'user' as const, content: 'hi' }];
const paidModel = 'thudm/glm-4-9b-chat';
jest.setTimeout(60_000);

const { gateway } = useGateway({
  name: 'admission',
  openRouter: { apiKey: 'sk-or-admission' },
  env: {
    MOCK_PROVIDER_ENABLED: 'true',
    // One request per agent, then a refill far beyond the test; no budget at all for paid models (mock is free).
    GATEWAY_RATE_RPS: '0.001',
    GATEWAY_RATE_BURST: '1',
    // Each test takes a fresh agent: the caller-wide bucket above them (caller-rate.e2e.spec.ts) kept out of the way.
    GATEWAY_CALLER_RATE_BURST: '1000',
    LLM_DAILY_BUDGET_USD: '0.000001',
  },
});
let openai: OpenAI;
beforeAll(() => {
  openai = new OpenAI({ baseURL: `${gateway.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

/** Every chat-like route, called for one agent, answering status, headers and body (streams answer before their first byte). */
const routes = {
  '/v1/chat': (agent: string, model: string) => postJson(`${gateway.baseUrl}/v1/chat`, { agent_id: agent, messages, model }),
  '/v1/chat/stream': (agent: string, model: string) => postSse(`${gateway.baseUrl}/v1/chat/stream`, { agent_id: agent, messages, model }),
  '/v1/jobs': (agent: string, model: string) => postJson(`${gateway.baseUrl}/v1/jobs`, { agent_id: agent, messages, model }),
  '/v1/batches': (agent: string, model: string) => postJson(`${gateway.baseUrl}/v1/batches`, [{ agent_id: agent, messages, model, custom_id: 'one' }]),
  '/v1/chat/completions': (agent: string, model: string) => postJson(`${gateway.baseUrl}/v1/chat/completions`, { user: agent, messages, model }),
  '/v1/chat/completions (stream)': (agent: string, model: string) =>
    postSse(`${gateway.baseUrl}/v1/chat/completions`, { user: agent, messages, model, stream: true }),
};
const gatewayRoutes = ['/v1/chat', '/v1/chat/stream', '/v1/jobs', '/v1/batches'] as const;
const openAiRoutes = ['/v1/chat/completions', '/v1/chat/completions (stream)'] as const;

describe('admission (rate limit, budget) on every chat-like route', () => {
  it.each(gatewayRoutes)('%s answers 429 rate_limited in the gateway envelope, with Retry-After', async (route) => {
    const agent = `busy-${route}`;
    expect((await routes['/v1/chat'](agent, 'mock/echo')).status).toBe(200);
    const refused = await routes[route](agent, 'mock/echo');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body).toEqual({
      error: { type: 'rate_limited', message: expect.stringContaining(agent), request_id: expect.any(String), retry_after_seconds: expect.any(Number) },
    });
  });

  it.each(gatewayRoutes)('%s answers 402 budget_exceeded in the gateway envelope, naming the budget', async (route) => {
    const refused = await routes[route](`spender-${route}`, paidModel);
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({
      error: { type: 'budget_exceeded', message: expect.stringContaining('daily budget'), budget: { name: 'daily', limit_usd: 0.000001 } },
    });
  });

  it.each(openAiRoutes)('%s answers 429 and 402 in OpenAI’s error shape', async (route) => {
    const agent = `openai-${route}`;
    expect((await routes['/v1/chat'](agent, 'mock/echo')).status).toBe(200);
    const limited = await routes[route](agent, 'mock/echo');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.body).toEqual({ error: { message: expect.stringContaining(agent), type: 'rate_limit_error', param: null, code: 'rate_limited' } });

    const broke = await routes[route](`${agent}-spender`, paidModel);
    expect(broke.status).toBe(402);
    expect(broke.body).toEqual({
      error: { message: expect.stringContaining('daily budget'), type: 'insufficient_quota', param: null, code: 'budget_exceeded' },
    });
  });

  it('the openai SDK raises RateLimitError on the plain and the streamed route', async () => {
    expect((await routes['/v1/chat']('sdk-agent', 'mock/echo')).status).toBe(200);
    const plain = await openai.chat.completions.create({ model: 'mock/echo', messages, user: 'sdk-agent' }).catch((error: unknown) => error);
    const streamed = await openai.chat.completions.create({ model: 'mock/echo', messages, user: 'sdk-agent', stream: true }).catch((error: unknown) => error);
    for (const error of [plain, streamed]) {
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    }
  });
});
