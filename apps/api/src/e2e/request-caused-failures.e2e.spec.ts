import { postJson, useGateway, waitFor } from '@gateway/testing';

const messages = [{ role: 'user', content: 'hello' }];

const { fake: openrouter, gateway } = useGateway({
  name: 'blame',
  openRouter: { apiKey: 'sk-or-request-caused' },
  env: { LLM_FALLBACKS: 'mock', CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_RESET_TIME_MS: '60000', PROVIDER_MAX_PAUSE_MS: '1000' },
  workers: 2,
});

const chat = async () => {
  const answer = await postJson(`${gateway.baseUrl}/v1/chat`, { messages });
  expect(answer.status).toBe(200);
  return (answer.body as { provider: string }).provider;
};
const circuit = async () => {
  const body = (await (await fetch(`${gateway.baseUrl}/v1/providers`)).json()) as {
    providers: { id: string; circuit: { state: string; consecutive_failures: number } }[];
  };
  return body.providers.find((provider) => provider.id === 'openrouter')!.circuit;
};
const refuse = (status: number, message: string, retryAfter?: string) =>
  openrouter.setBehaviour(() => ({ kind: 'status', status, body: { error: { message, code: status } }, ...(retryAfter ? { retryAfter } : {}) }));

describe('failures the request caused, through real workers', () => {
  it('a moderation 403, a per-call 402 and a 413 fail over but never open the shared circuit', async () => {
    for (const [status, message] of [
      [403, 'x requires moderation on OpenRouter. Your input was flagged for "violence"'],
      [402, 'This request requires more credits, or fewer max_tokens. You requested up to 4096 tokens, but can only afford 10.'],
      [413, 'request too large'],
      [403, 'Your input was flagged'],
    ] as const) {
      refuse(status, message);
      expect(await chat()).toBe('mock');
    }
    expect(await circuit()).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    openrouter.setBehaviour(() => ({ kind: 'reply', content: 'fine' }));
    expect(await chat()).toBe('openrouter');
  });

  it('a model’s own 429 pauses nobody; a provider 429 pauses for PROVIDER_MAX_PAUSE_MS at most, whatever Retry-After says', async () => {
    refuse(429, 'google/gemma:free is temporarily rate-limited upstream', '3600');
    expect(await chat()).toBe('mock');
    openrouter.setBehaviour(() => ({ kind: 'reply', content: 'fine' }));
    expect(await chat()).toBe('openrouter');

    refuse(429, 'Rate limit exceeded', '3600');
    expect(await chat()).toBe('mock');
    openrouter.setBehaviour(() => ({ kind: 'reply', content: 'fine' }));
    const pausedAt = Date.now();
    // Paused for every worker (jobs go to the fallback), then served again once the capped pause ends.
    await waitFor(async () => (await chat()) === 'openrouter', 5000);
    expect(Date.now() - pausedAt).toBeLessThan(3000);
  });
});
