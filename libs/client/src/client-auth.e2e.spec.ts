import { useGateway, waitFor } from '@gateway/testing';
import { GatewayClientError, GatewayLLMClient, UnauthorizedError } from './index';

const token = 'client-auth-token-0123456789';
const messages = [{ role: 'user' as const, content: 'Hello' }];
jest.setTimeout(60_000);

const { gateway } = useGateway({
  name: 'client-auth',
  env: { LLM_PROVIDER: 'mock', LLM_FALLBACKS: '', LLM_DEFAULT_MODEL: 'mock/echo', GATEWAY_AUTH_TOKEN: token },
});

async function caught(promise: Promise<unknown>): Promise<GatewayClientError> {
  const outcome = await promise.then(
    () => new Error('expected the call to fail'),
    (error: unknown) => error,
  );
  if (outcome instanceof GatewayClientError) return outcome;
  throw outcome;
}

async function firstChunk(stream: AsyncIterable<unknown>): Promise<unknown> {
  for await (const chunk of stream) return chunk;
  return undefined;
}

describe('GatewayLLMClient against a gateway that requires a token', () => {
  it.each([
    ['no token', undefined],
    ['a wrong token', 'not-the-token'],
  ])('raises UnauthorizedError (401) with %s, on every /v1 method', async (_label, given) => {
    const client = new GatewayLLMClient({ baseUrl: gateway.baseUrl, ...(given ? { token: given } : {}), retry: { maxRetries: 3 } });
    const calls = [
      () => client.chat('auth-agent', messages),
      () => firstChunk(client.stream('auth-agent', messages)),
      () => client.submitJob('auth-agent', messages),
      () => client.getJob('some-job'),
      () => client.submitBatch([{ messages }]),
      () => client.providers(),
    ];
    for (const call of calls) {
      const error = await caught(call());
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error).toMatchObject({ status: 401, type: 'unauthorized', retryAfter: undefined });
    }
  });

  it('is let in with the right token, and health() needs none', async () => {
    const client = new GatewayLLMClient({ baseUrl: gateway.baseUrl, token });
    await expect(client.chat('auth-agent', messages)).resolves.toMatchObject({ content: 'Mock reply to: Hello', provider: 'mock' });
    await expect(firstChunk(client.stream('auth-agent', messages))).resolves.toMatchObject({ type: 'content', provider: 'mock' });
    await expect(new GatewayLLMClient({ baseUrl: gateway.baseUrl }).health()).resolves.toEqual({ status: 'ok' });
  });

  it('providers() answers the typed view of GET /v1/providers', async () => {
    const client = new GatewayLLMClient({ baseUrl: gateway.baseUrl, token });
    // Workers write their call counters every 250 ms: wait for the calls of the test above to show.
    const { providers } = await waitFor(async () => {
      const view = await client.providers();
      return (view.providers.find((provider) => provider.id === 'mock')?.calls ?? 0) >= 1 ? view : undefined;
    }, 5000).then((view) => view!);
    const mock = providers.find((provider) => provider.id === 'mock');
    expect(mock).toMatchObject({
      configured: true,
      role: 'primary',
      deprecated: false,
      circuit: { state: 'closed', consecutive_failures: 0, opened_at: null },
    });
    expect(mock?.calls).toBeGreaterThanOrEqual(1);
    expect(providers.find((provider) => provider.id === 'anthropic')).toMatchObject({ deprecated: true, warning: expect.any(String) });
  });
});
