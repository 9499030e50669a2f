import {
  fakeEmbedding,
  gatewayFailure,
  OPENAI_MAX_EMBEDDING_INPUTS,
  startFakeOllama,
  startFakeOpenAi,
  startFakeOpenRouter,
  type FakeOllama,
  type FakeOpenAi,
  type FakeOpenRouter,
} from '@gateway/testing';
import { createMockAdapter } from '../mock/mock-adapter';
import { createOllamaAdapter } from '../ollama/ollama-adapter';
import { createOpenAiAdapter } from '../openai/openai-adapter';
import { createOpenRouterAdapter } from '../openrouter/openrouter-adapter';
import type { ProviderAdapter, ProviderEmbedRequest } from '../types';
import { base64ToVector, vectorToBase64 } from './vectors';

const signal = () => new AbortController().signal;
const bytes = (vector: Float32Array) => Buffer.from(vector.buffer).toString('base64');
const embedOf = (adapter: ProviderAdapter) => (request: ProviderEmbedRequest) => adapter.embed!(request, signal());

let openRouter: FakeOpenRouter;
let openAi: FakeOpenAi;
let ollama: FakeOllama;
let adapters: Record<'openrouter' | 'openai' | 'ollama', ProviderAdapter>;
beforeAll(async () => {
  [openRouter, openAi, ollama] = await Promise.all([startFakeOpenRouter({ apiKey: 'sk-or' }), startFakeOpenAi({ apiKey: 'sk-oa' }), startFakeOllama()]);
  adapters = {
    openrouter: createOpenRouterAdapter({ baseUrl: openRouter.baseUrl, apiKey: 'sk-or', timeoutMs: 1500 }),
    openai: createOpenAiAdapter({ baseUrl: openAi.baseUrl, apiKey: 'sk-oa', timeoutMs: 1500 }),
    ollama: createOllamaAdapter({ baseUrl: ollama.url, timeoutMs: 1500 }),
  };
});
afterAll(async () => {
  await Promise.all(Object.values(adapters).map((adapter) => adapter.close()));
  await Promise.all([openRouter.close(), openAi.close(), ollama.close()]);
});

describe('vectors', () => {
  it('go to base64 and back bit for bit', () => {
    const vector = Array.from(fakeEmbedding('m', 'text', 32));
    expect(base64ToVector(vectorToBase64(vector))).toEqual(vector);
  });
});

describe('OpenRouter embeddings', () => {
  it('passes base64 through, gives numbers for float, with usage and the provider cost', async () => {
    const embed = embedOf(adapters.openrouter);
    const model = 'openai/text-embedding-3-small';
    const packed = await embed({ model, input: ['a b c', 'd e'], encoding_format: 'base64', dimensions: 8 });
    expect(packed.vectors).toEqual(['a b c', 'd e'].map((input) => bytes(fakeEmbedding(model, input, 8))));
    expect(packed).toMatchObject({ model, promptTokens: 5, costUsd: 5 * 0.00000002 });
    const numbers = await embed({ model, input: [[1, 2]], encoding_format: 'float', dimensions: 8 });
    expect(numbers.vectors).toEqual([Array.from(fakeEmbedding(model, [1, 2], 8))]);
  });

  it('maps its errors: a 200 with an error, 429 with retry-after, malformed JSON, a refused request', async () => {
    const embed = embedOf(adapters.openrouter);
    const request: ProviderEmbedRequest = { model: 'openai/text-embedding-3-small', input: ['x'], encoding_format: 'float' };
    openRouter.setBehaviour(() => ({ kind: 'error-in-body', message: 'provider overloaded', code: 502 }));
    expect(await gatewayFailure(embed(request))).toMatchObject({ type: 'upstream_error', details: { recovery: 'failover' } });
    openRouter.setBehaviour(() => ({ kind: 'status', status: 429, retryAfter: '7' }));
    expect(await gatewayFailure(embed(request))).toMatchObject({ details: { upstreamStatus: 429, retryAfterSeconds: 7 } });
    openRouter.setBehaviour(() => ({ kind: 'malformed' }));
    expect(await gatewayFailure(embed(request))).toMatchObject({ type: 'upstream_error', message: expect.stringContaining('not valid JSON') });
    openRouter.setBehaviour(() => ({ kind: 'reply', content: '' }));
    const refused = await gatewayFailure(embed({ ...request, model: 'openai/text-embedding-ada-002', dimensions: 4 }));
    expect(refused).toMatchObject({ type: 'invalid_request', details: { recovery: 'final', upstreamStatus: 400 } });
  });
});

describe('OpenAI embeddings', () => {
  it('embeds with its own model names and refuses more inputs than it takes', async () => {
    const embed = embedOf(adapters.openai);
    const answer = await embed({ model: 'text-embedding-3-large', input: ['one'], encoding_format: 'float' });
    expect(answer.vectors[0]).toHaveLength(3072);
    const tooMany = Array.from({ length: OPENAI_MAX_EMBEDDING_INPUTS + 1 }, () => 'x');
    expect(await gatewayFailure(embed({ model: 'text-embedding-3-small', input: tooMany, encoding_format: 'float' }))).toMatchObject({
      type: 'invalid_request',
      message: expect.stringContaining("'$.input' is invalid"),
    });
    openAi.setBehaviour(() => ({ kind: 'status', status: 500 }));
    expect(await gatewayFailure(embed({ model: 'text-embedding-3-small', input: ['x'], encoding_format: 'float' }))).toMatchObject({
      type: 'upstream_error',
      details: { recovery: 'failover', upstreamStatus: 500 },
    });
    openAi.setBehaviour(() => ({ kind: 'reply' }));
  });
});

describe('Ollama embeddings', () => {
  it('encodes its numbers as float32 base64 bit for bit, and sends truncate: false', async () => {
    const embed = embedOf(adapters.ollama);
    const answer = await embed({ model: 'nomic-embed-text', input: ['hello there', 'general kenobi'], encoding_format: 'base64' });
    expect(answer.vectors).toEqual(['hello there', 'general kenobi'].map((input) => bytes(fakeEmbedding('nomic-embed-text', input, 768))));
    expect(answer).toMatchObject({ promptTokens: 4, costUsd: 0 });
    expect(ollama.requests.at(-1)?.body).toMatchObject({ model: 'nomic-embed-text', truncate: false });
  });

  it('maps a model not pulled, an input past the context and a reset', async () => {
    const embed = embedOf(adapters.ollama);
    ollama.setBehaviour(() => ({ kind: 'status', status: 404 }));
    expect(await gatewayFailure(embed({ model: 'absent', input: ['x'], encoding_format: 'float' }))).toMatchObject({
      details: { recovery: 'failover-uncounted' },
    });
    ollama.setBehaviour(() => ({ kind: 'reply', content: '' }));
    const long = Array.from({ length: 2100 }, () => 'word').join(' ');
    expect(await gatewayFailure(embed({ model: 'nomic-embed-text', input: [long], encoding_format: 'float' }))).toMatchObject({
      type: 'invalid_request',
      message: expect.stringContaining('context length'),
    });
    ollama.setBehaviour(() => ({ kind: 'reset' }));
    expect(await gatewayFailure(embed({ model: 'nomic-embed-text', input: ['x'], encoding_format: 'float' }))).toMatchObject({ type: 'upstream_error' });
    ollama.setBehaviour(() => ({ kind: 'reply', content: '' }));
  });
});

describe('mock embeddings', () => {
  it('gives the same unit vectors for the same input, honours dimensions and its fail directive', async () => {
    const embed = embedOf(createMockAdapter({}));
    const first = await embed({ model: 'embed', input: ['same text', 'other'], encoding_format: 'float', dimensions: 12 });
    const again = await embed({ model: 'embed', input: ['same text'], encoding_format: 'float', dimensions: 12 });
    expect(again.vectors[0]).toEqual(first.vectors[0]);
    expect(first.vectors[1]).not.toEqual(first.vectors[0]);
    const norm = Math.sqrt((first.vectors[0] as number[]).reduce((sum, value) => sum + value * value, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(first.promptTokens).toBe(3);
    expect(await gatewayFailure(embed({ model: 'embed?fail=upstream_error', input: ['x'], encoding_format: 'float' }))).toMatchObject({
      type: 'upstream_error',
    });
  });
});
