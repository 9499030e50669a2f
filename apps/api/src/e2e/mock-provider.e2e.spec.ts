import { postJson, useGateway } from '@gateway/testing';

const messages = [{ role: 'user', content: 'Say hello' }];

describe('the mock provider', () => {
  describe('behind a real primary, not enabled', () => {
    const { fake, gateway } = useGateway({ name: 'mock-off', openRouter: { apiKey: 'sk-or-mock-e2e' } });

    it.each(['/v1/chat', '/v1/jobs'])('refuses mock/… on %s with 400 invalid_request (nothing enqueued, nothing free)', async (route) => {
      const { status, body } = await postJson(`${gateway.baseUrl}${route}`, { messages, model: 'mock/x?latency=600000' });
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining('mock provider is not enabled') } });
    });

    it('still serves vendor models through the primary', async () => {
      fake.setBehaviour(() => ({ kind: 'reply', content: 'from upstream' }));
      expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'openai/gpt-4o' })).body).toMatchObject({ provider: 'openrouter' });
    });
  });

  describe('enabled by MOCK_PROVIDER_ENABLED, with a short PROVIDER_TIMEOUT_MS', () => {
    const { gateway } = useGateway({
      name: 'mock-on',
      openRouter: { apiKey: 'sk-or-mock-e2e' },
      env: { MOCK_PROVIDER_ENABLED: 'true', PROVIDER_TIMEOUT_MS: '500' },
    });

    it('answers mock/…', async () => {
      expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/echo' })).body).toMatchObject({
        provider: 'mock',
        content: 'Mock reply to: Say hello',
      });
    });

    it('cuts a latency past PROVIDER_TIMEOUT_MS off as a timeout, like a real call', async () => {
      const started = Date.now();
      const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/x?latency=600000' });
      expect(status).toBe(504);
      expect(body).toMatchObject({ error: { type: 'timeout' } });
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('cuts a stream whose chunk delays add up past PROVIDER_TIMEOUT_MS', async () => {
      const started = Date.now();
      const response = await fetch(`${gateway.baseUrl}/v1/chat/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages, model: 'mock/x?chunk_delay=200&reply=one%20two%20three%20four%20five%20six' }),
      });
      const text = await response.text();
      expect(text).toContain('"type":"timeout"');
      expect(text).not.toContain('"content":"six"');
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});
