import OpenAI from 'openai';
import { decodeEmbedding, GatewayLLMClient, InvalidRequestError } from '@gateway/client';
import { fakeEmbedding, postJson, startFakeAnthropic, startFakeOpenAi, useGateway, type FakeAnthropic, type FakeOpenAi } from '@gateway/testing';

/**
 * `POST /v1/embeddings` end to end: the official openai SDK against the gateway, OpenRouter (a fake speaking its wire
 * format) as the provider, OpenAI as its fallback and Anthropic (which has no embeddings) between them.
 */
let openAiFake: FakeOpenAi;
let anthropicFake: FakeAnthropic;
const suite = useGateway({
  name: 'embeddings',
  openRouter: { apiKey: 'sk-or-embed' },
  env: async () => {
    [openAiFake, anthropicFake] = await Promise.all([startFakeOpenAi({ apiKey: 'sk-oa-embed' }), startFakeAnthropic()]);
    return {
      LLM_FALLBACKS: 'anthropic,openai',
      ANTHROPIC_API_KEY: 'sk-ant-embed',
      ANTHROPIC_BASE_URL: anthropicFake.url,
      OPENAI_API_KEY: 'sk-oa-embed',
      OPENAI_BASE_URL: openAiFake.baseUrl,
      OPENROUTER_EMBED_BATCH_SIZE: '512',
      OPENAI_EMBED_BATCH_SIZE: '1000',
      GATEWAY_RATE_RPS: '1000',
      GATEWAY_RATE_BURST: '1000',
      CIRCUIT_FAILURE_THRESHOLD: '1000',
    };
  },
});
afterAll(() => Promise.all([openAiFake?.close(), anthropicFake?.close()]));

const model = 'openai/text-embedding-3-small';
let gateway: OpenAI;
let direct: OpenAI;
beforeAll(() => {
  gateway = new OpenAI({ baseURL: `${suite.gateway.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  direct = new OpenAI({ baseURL: suite.fake.baseUrl, apiKey: 'sk-or-embed', maxRetries: 0 });
});
beforeEach(() => {
  suite.fake.setBehaviour(() => ({ kind: 'reply', content: '' }));
  suite.fake.requests.length = 0;
  openAiFake.requests.length = 0;
});

const embeddingCalls = (fake: { requests: { path: string; body: unknown }[] }) =>
  fake.requests.filter((request) => request.path.endsWith('/embeddings')).map((request) => request.body as { input: unknown[]; encoding_format: string });

describe('the openai SDK', () => {
  it('gets the upstream vectors bit for bit with its default base64 encoding', async () => {
    const input = ['the quick brown fox', 'jumps over the lazy dog', 'a third text'];
    const [through, straight] = await Promise.all([gateway.embeddings.create({ model, input }), direct.embeddings.create({ model, input })]);
    expect(through.data.map((entry) => entry.embedding)).toEqual(straight.data.map((entry) => entry.embedding));
    expect(through.data.map((entry) => entry.index)).toEqual([0, 1, 2]);
    expect(through.data[0]?.embedding).toHaveLength(1536);
    expect(through).toMatchObject({ object: 'list', model, usage: { prompt_tokens: 12, total_tokens: 12 } });
    // The gateway asked the upstream for base64 too: the strings went through untouched.
    expect(embeddingCalls(suite.fake)[0]).toMatchObject({ encoding_format: 'base64', input });
  });

  it('gets float vectors with dimensions, equal to the upstream ones, and token-id inputs', async () => {
    const body = {
      model,
      input: [
        [1, 2, 3],
        [40, 50],
      ],
      encoding_format: 'float' as const,
      dimensions: 64,
    };
    const [through, straight] = await Promise.all([gateway.embeddings.create(body), direct.embeddings.create(body)]);
    expect(through.data.map((entry) => entry.embedding)).toEqual(straight.data.map((entry) => entry.embedding));
    expect(through.data[1]?.embedding).toHaveLength(64);
    expect(embeddingCalls(suite.fake)[0]).toMatchObject({ encoding_format: 'float', dimensions: 64 });
  });

  it('raises its error classes for a bad request, in OpenAI error shape', async () => {
    const empty = await gateway.embeddings.create({ model, input: [] }).catch((error: unknown) => error);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    expect((empty as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('input'),
    });
    const blank = await postJson(`${suite.gateway.baseUrl}/v1/embeddings`, { model, input: ['ok', ''] });
    expect(blank).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', message: expect.stringContaining('input.1') } } });
    const noModel = await postJson(`${suite.gateway.baseUrl}/v1/embeddings`, { input: 'x' });
    expect(noModel).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('model') } } });
    expect(embeddingCalls(suite.fake)).toHaveLength(0);
  });
});

describe('long input lists', () => {
  const inputs = Array.from({ length: 2000 }, (_, index) => `document number ${index}`);

  it('splits 2,000 inputs into the provider batch size and joins the vectors in input order', async () => {
    const answer = await gateway.embeddings.create({ model, input: inputs, dimensions: 8 });
    expect(answer.data).toHaveLength(2000);
    answer.data.forEach((entry, index) => {
      expect(entry.index).toBe(index);
      expect(entry.embedding).toEqual(Array.from(fakeEmbedding(model, inputs[index]!, 8)));
    });
    const calls = embeddingCalls(suite.fake);
    expect(calls.map((call) => call.input.length).sort()).toEqual([464, 512, 512, 512]);
    expect(calls.flatMap((call) => call.input).sort()).toEqual([...inputs].sort());
    expect(answer.usage.prompt_tokens).toBe(6000);
  });

  it('fails over as a whole when one part fails: every vector from the next provider, never a mix, never Anthropic', async () => {
    let calls = 0;
    suite.fake.setBehaviour(() => (++calls === 3 ? { kind: 'status', status: 500 } : { kind: 'reply', content: '' }));
    const answer = await gateway.embeddings.create({ model, input: inputs, dimensions: 8, encoding_format: 'float' });
    expect(answer.data.map((entry) => entry.embedding)).toEqual(inputs.map((input) => Array.from(fakeEmbedding('text-embedding-3-small', input, 8))));
    expect(embeddingCalls(openAiFake).map((call) => call.input.length)).toEqual([1000, 1000]);
    expect(anthropicFake.requests).toHaveLength(0);
  });

  it('fails the request clearly when a part fails everywhere, with no partial list', async () => {
    let calls = 0;
    suite.fake.setBehaviour(() => (++calls === 2 ? { kind: 'status', status: 503 } : { kind: 'reply', content: '' }));
    let fallbackCalls = 0;
    openAiFake.setBehaviour(() => (++fallbackCalls === 1 ? { kind: 'status', status: 500 } : { kind: 'reply' }));
    const failed = await postJson(`${suite.gateway.baseUrl}/v1/embeddings`, { model, input: inputs });
    openAiFake.setBehaviour(() => ({ kind: 'reply' }));
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ error: { type: 'api_error', message: 'all providers failed (openrouter, openai)' } });
    expect(JSON.stringify(failed.body)).not.toContain('embedding"');
  });

  it('refuses an input the upstream refuses as the caller’s error, without failover', async () => {
    const refused = await postJson(`${suite.gateway.baseUrl}/v1/embeddings`, { model: 'openai/text-embedding-ada-002', input: 'x', dimensions: 8 });
    expect(refused).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', message: expect.stringContaining('dimensions') } } });
    expect(embeddingCalls(openAiFake)).toHaveLength(0);
  });
});

describe('accounting', () => {
  it('books embeddings by model with their prompt tokens and the provider’s cost, and counts them by route', async () => {
    const before = (await (await fetch(`${suite.gateway.baseUrl}/v1/usage`)).json()) as {
      day: { by_model: Record<string, number>; tokens: { prompt: number } };
    };
    await gateway.embeddings.create({ model: 'openai/text-embedding-3-large', input: ['one two three four five'] });
    const after = (await (await fetch(`${suite.gateway.baseUrl}/v1/usage`)).json()) as {
      day: { by_model: Record<string, number>; tokens: { prompt: number } };
    };
    expect(after.day.tokens.prompt - before.day.tokens.prompt).toBe(5);
    // OpenRouter's usage.cost: 5 tokens at $0.13 per million.
    expect(after.day.by_model['openai/text-embedding-3-large']).toBeCloseTo(5 * 0.00000013, 12);
    const metrics = await (await fetch(`${suite.gateway.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/gateway_http_requests_total\{[^}]*route="\/v1\/embeddings"[^}]*status_code="200"[^}]*\} \d+/);
  });
});

describe('embeddings as batch lines', () => {
  it('runs OpenAI batch lines with url /v1/embeddings in a native batch, beside chat lines', async () => {
    const texts = ['first line text', 'second line text', 'third line text'];
    const lines = [
      ...texts.map((text, index) => ({
        custom_id: `e${index}`,
        method: 'POST',
        url: '/v1/embeddings',
        body: { model, input: [text, `${text} again`], dimensions: 4 },
      })),
      { custom_id: 'c0', method: 'POST', url: '/v1/chat/completions', body: { model: 'thudm/glm-4-9b-chat', messages: [{ role: 'user', content: 'hi' }] } },
    ];
    const response = await fetch(`${suite.gateway.baseUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/jsonl' },
      body: lines.map((line) => JSON.stringify(line)).join('\n'),
    });
    expect(response.status).toBe(202);
    const { batch_id: batchId } = (await response.json()) as { batch_id: string };
    type Result = { custom_id?: string; status: string; result?: { embeddings?: number[][]; usage: { prompt_tokens: number }; content: string } };
    let view: { done: boolean; results?: Result[] } = { done: false };
    for (let tries = 0; tries < 100 && !view.done; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = (await (await fetch(`${suite.gateway.baseUrl}/v1/batches/${batchId}?results=true`)).json()) as typeof view;
    }
    expect(view.done).toBe(true);
    const byId = new Map((view.results ?? []).map((result) => [result.custom_id, result]));
    texts.forEach((text, index) => {
      const result = byId.get(`e${index}`);
      expect(result?.status).toBe('completed');
      expect(result?.result?.embeddings).toEqual([text, `${text} again`].map((input) => Array.from(fakeEmbedding(model, input, 4))));
    });
    expect(byId.get('c0')?.result?.content).toBe('');
    expect(byId.get('c0')?.status).toBe('completed');
  });

  it('refuses a batch whose embeddings line is malformed, naming the line', async () => {
    const line = { custom_id: 'bad', method: 'POST', url: '/v1/embeddings', body: { model, input: [] } };
    const response = await fetch(`${suite.gateway.baseUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/jsonl' },
      body: JSON.stringify(line),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining('requests.0.body.input') } });
  });
});

describe('the TypeScript client', () => {
  it('embeds with embeddings(), as numbers or as base64 it decodes to the same numbers', async () => {
    const client = new GatewayLLMClient({ baseUrl: suite.gateway.baseUrl });
    const floats = await client.embeddings(model, ['client text', 'another'], { dimensions: 16 });
    expect(floats.data.map((entry) => entry.embedding)).toEqual(['client text', 'another'].map((text) => Array.from(fakeEmbedding(model, text, 16))));
    const packed = await client.embeddings(model, 'client text', { dimensions: 16, encodingFormat: 'base64' });
    expect(decodeEmbedding(packed.data[0]!.embedding as string)).toEqual(floats.data[0]!.embedding);
    await expect(client.embeddings(model, [])).rejects.toBeInstanceOf(InvalidRequestError);
  });
});
