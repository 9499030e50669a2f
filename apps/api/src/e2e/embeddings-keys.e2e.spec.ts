import OpenAI from 'openai';
import { postJson, useGateway } from '@gateway/testing';

/** Embeddings with API keys (allowed models, rate, spend by key) on the mock provider, and capabilities refused before any call. */
const ADMIN = 'admin-token-for-embeddings-e2e';
const suite = useGateway({
  name: 'embeddings-keys',
  env: { LLM_PROVIDER: 'mock', LLM_DEFAULT_MODEL: 'mock/echo', GATEWAY_ADMIN_TOKEN: ADMIN, GATEWAY_AUTH_TOKEN: 'static-token-for-embeddings-e2e' },
});
const model = 'mock/embed-small';

it('holds a key to its allowed models and its rate, and books its embeddings under the key', async () => {
  const created = await postJson(
    `${suite.gateway.baseUrl}/admin/keys`,
    { name: 'embedder', models: [model], rate_rps: 0.01, rate_burst: 2 },
    { authorization: `Bearer ${ADMIN}` },
  );
  expect(created.status).toBe(201);
  const { id, key } = created.body as { id: string; key: string };
  const keyed = new OpenAI({ baseURL: `${suite.gateway.baseUrl}/v1`, apiKey: key, maxRetries: 0 });
  const forbidden = await keyed.embeddings.create({ model: 'mock/embed-large', input: 'x' }).catch((error: unknown) => error);
  expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
  const answer = await keyed.embeddings.create({ model, input: ['counted once', 'and twice'], encoding_format: 'float', dimensions: 32 });
  expect(answer.data.map((entry) => entry.embedding.length)).toEqual([32, 32]);
  expect(answer.usage.prompt_tokens).toBe(4);
  const limited = await keyed.embeddings
    .create({ model, input: 'again' })
    .then(() => keyed.embeddings.create({ model, input: 'and again' }))
    .catch((error: unknown) => error);
  expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
  const usage = (await (await fetch(`${suite.gateway.baseUrl}/v1/usage`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
    day: { by_key?: Record<string, number>; by_model: Record<string, number> };
  };
  expect(Object.keys(usage.day.by_key ?? {})).toContain(id);
  expect(Object.keys(usage.day.by_model)).toContain('embed-small');
});

it('refuses token ids on a route only Ollama serves, before any call, in OpenAI error shape', async () => {
  const refused = await postJson(
    `${suite.gateway.baseUrl}/v1/embeddings`,
    { model: 'ollama/nomic-embed-text', input: [[1, 2, 3]] },
    { authorization: 'Bearer static-token-for-embeddings-e2e' },
  );
  expect(refused).toMatchObject({
    status: 400,
    body: { error: { type: 'invalid_request_error', message: 'invalid request: input: not supported by ollama' } },
  });
});
