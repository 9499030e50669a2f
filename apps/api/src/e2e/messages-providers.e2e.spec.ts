import Anthropic from '@anthropic-ai/sdk';
import {
  fakeReasoningSignature,
  fakeThinkingSignature,
  startFakeAnthropic,
  startFakeOpenRouter,
  startGateway,
  startRedis,
  uniquePrefix,
  weatherLoopAnswer,
  weatherLoopCities,
  weatherLoopUpstreams,
  type FakeServer,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

/**
 * Anthropic's Messages API through the gateway onto each provider's wire format (the fakes refuse what breaks their
 * API's rules): the SDK's tool loop, plain and streamed; caching breakpoints arriving in each upstream's form; cache
 * reads and writes priced as the provider prices them.
 */
jest.setTimeout(60_000);
const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather of a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const cached = { type: 'ephemeral' as const };

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function gatewayOn(env: Record<string, string>, label: string): Promise<GatewayProcesses> {
  return startGateway({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix(label), GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000', ...env });
}

const toolResults = (content: Anthropic.ContentBlock[]): Anthropic.ToolResultBlockParam[] =>
  content.flatMap((block) =>
    block.type === 'tool_use'
      ? [{ type: 'tool_result' as const, tool_use_id: block.id, content: (block.input as { city: string }).city === 'Paris' ? 'sunny' : 'rainy' }]
      : [],
  );

describe.each(weatherLoopUpstreams('messages'))('the Anthropic SDK through the gateway to $name', (upstream) => {
  let server: FakeServer;
  let gateway: GatewayProcesses;
  let anthropic: Anthropic;

  beforeAll(async () => {
    const started = await upstream.start();
    server = started.server;
    gateway = await gatewayOn(started.env, `messages-${upstream.name}`);
    anthropic = new Anthropic({ baseURL: gateway.baseUrl, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway?.stop();
    await server?.close();
  });

  it('tool loop, plain: tool_use blocks, tool_result back, the answer; caching breakpoints in the upstream form', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?', cache_control: cached }] }];
    const system: Anthropic.TextBlockParam[] = [{ type: 'text', text: 'Use the tools.', cache_control: cached }];
    const first = await anthropic.messages.create({ model: upstream.model, max_tokens: 200, system, tools: [weather], messages });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.filter((block) => block.type === 'tool_use').map((block) => (block as Anthropic.ToolUseBlock).input)).toEqual(weatherLoopCities);
    const sent = server.requests.at(-1)!.body as Record<string, unknown>;
    const json = JSON.stringify(sent);
    if (upstream.name === 'anthropic') {
      expect(sent['system']).toEqual([{ type: 'text', text: 'Use the tools.', cache_control: cached }]);
      expect(json).toContain('{"type":"text","text":"Weather in Paris and Rome?","cache_control":{"type":"ephemeral"}}');
    } else if (upstream.name === 'openrouter') {
      expect((sent['messages'] as unknown[])[0]).toEqual({ role: 'system', content: [{ type: 'text', text: 'Use the tools.', cache_control: cached }] });
      expect(json).toContain('{"type":"text","text":"Weather in Paris and Rome?","cache_control":{"type":"ephemeral"}}');
    } else expect(json).not.toContain('cache_control');

    const answer = await anthropic.messages.create({
      model: upstream.model,
      max_tokens: 200,
      system,
      tools: [weather],
      messages: [...messages, { role: 'assistant', content: first.content }, { role: 'user', content: toolResults(first.content) }],
    });
    expect(answer.content).toEqual([{ type: 'text', text: weatherLoopAnswer }]);
    expect(answer.stop_reason).toBe('end_turn');
  });

  it('tool loop, streamed: input_json_delta fragments assembled by the SDK, then the streamed answer', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris and Rome?' }];
    const stream = anthropic.messages.stream({ model: upstream.model, max_tokens: 200, tools: [weather], messages });
    let fragments = 0;
    stream.on('inputJson', () => (fragments += 1));
    const first = await stream.finalMessage();
    expect(fragments).toBeGreaterThan(0);
    expect(first.stop_reason).toBe('tool_use');
    const calls = first.content.filter((block) => block.type === 'tool_use') as Anthropic.ToolUseBlock[];
    expect(calls.map((call) => call.input)).toEqual(weatherLoopCities);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);

    const answer = anthropic.messages.stream({
      model: upstream.model,
      max_tokens: 200,
      tools: [weather],
      messages: [...messages, { role: 'assistant', content: first.content }, { role: 'user', content: toolResults(first.content) }],
    });
    expect(await answer.finalText()).toBe(weatherLoopAnswer);
  });
});

describe('extended thinking through the gateway to Anthropic', () => {
  it('thinking blocks with signatures: plain, streamed (thinking_delta, signature_delta), passed back on the next turn', async () => {
    const server = await startFakeAnthropic({
      apiKey: 'sk-ant-thinking',
      behave: () => ({ kind: 'reply', content: 'the answer', thinking: 'let me think about it' }),
    });
    const gateway = await gatewayOn({ LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: 'sk-ant-thinking', ANTHROPIC_BASE_URL: server.url }, 'messages-thinking');
    try {
      const anthropic = new Anthropic({ baseURL: gateway.baseUrl, apiKey: 'unused', maxRetries: 0 });
      const body = {
        model: 'claude-sonnet-4-5',
        max_tokens: 4096,
        thinking: { type: 'enabled' as const, budget_tokens: 2048 },
        messages: [{ role: 'user' as const, content: 'think' }],
      };
      const plain = await anthropic.messages.create(body);
      expect(server.requests.at(-1)!.body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 } });
      expect(plain.content).toEqual([
        { type: 'thinking', thinking: 'let me think about it', signature: fakeThinkingSignature },
        { type: 'text', text: 'the answer' },
      ]);

      const stream = anthropic.messages.stream(body);
      let thought = '';
      let signature = '';
      stream.on('thinking', (delta) => (thought += delta));
      stream.on('signature', (value) => (signature = value));
      const streamed = await stream.finalMessage();
      expect(thought).toBe('let me think about it');
      expect(signature).toBe(fakeThinkingSignature);
      expect(streamed.content).toEqual(plain.content);

      await anthropic.messages.create({
        ...body,
        messages: [...body.messages, { role: 'assistant', content: streamed.content }, { role: 'user', content: 'and?' }],
      });
      const passedBack = (server.requests.at(-1)!.body as { messages: { content: unknown }[] }).messages[1]!.content;
      expect(passedBack).toEqual([
        { type: 'thinking', thinking: 'let me think about it', signature: fakeThinkingSignature },
        { type: 'text', text: 'the answer' },
      ]);
    } finally {
      await gateway.stop();
      await server.close();
    }
  });
});

describe('extended thinking through the gateway to OpenRouter (its reasoning_details)', () => {
  it('signed reasoning comes back as thinking blocks, plain and streamed, and goes back as reasoning_details', async () => {
    const server = await startFakeOpenRouter({ apiKey: 'sk-or-thinking', behave: () => ({ kind: 'reply', content: 'the answer', reasoning: 'let me think' }) });
    const gateway = await gatewayOn(
      { LLM_PROVIDER: 'openrouter', OPENROUTER_API_KEY: 'sk-or-thinking', OPENROUTER_BASE_URL: server.baseUrl },
      'messages-or-thinking',
    );
    try {
      const anthropic = new Anthropic({ baseURL: gateway.baseUrl, apiKey: 'unused', maxRetries: 0 });
      const body = {
        model: 'anthropic/claude-sonnet-4.5',
        max_tokens: 4096,
        thinking: { type: 'enabled' as const, budget_tokens: 2048 },
        messages: [{ role: 'user' as const, content: 'think' }],
      };
      const expected = [
        { type: 'thinking', thinking: 'let me think', signature: fakeReasoningSignature },
        { type: 'text', text: 'the answer' },
      ];
      expect((await anthropic.messages.create(body)).content).toEqual(expected);
      expect(server.requests.at(-1)!.body).toMatchObject({ reasoning: { max_tokens: 2048 } });
      const streamed = await anthropic.messages.stream(body).finalMessage();
      expect(streamed.content).toEqual(expected);
      await anthropic.messages.create({
        ...body,
        messages: [...body.messages, { role: 'assistant', content: streamed.content }, { role: 'user', content: 'and?' }],
      });
      expect((server.requests.at(-1)!.body as { messages: unknown[] }).messages[1]).toEqual({
        role: 'assistant',
        content: 'the answer',
        reasoning_details: [{ type: 'reasoning.text', text: 'let me think', signature: fakeReasoningSignature, index: 0 }],
      });
    } finally {
      await gateway.stop();
      await server.close();
    }
  });
});

describe('cache reads and writes priced as the provider prices them', () => {
  it('Anthropic: cache_creation/cache_read counts come back and cost_usd uses its cache-write and cache-read prices', async () => {
    const server = await startFakeAnthropic({
      apiKey: 'sk-ant-cache',
      behave: () => ({ kind: 'reply', content: 'cached answer', cacheCreationTokens: 1000, cacheReadTokens: 2000 }),
    });
    const gateway = await gatewayOn(
      { LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: 'sk-ant-cache', ANTHROPIC_BASE_URL: server.url },
      'messages-cache-anthropic',
    );
    try {
      const anthropic = new Anthropic({ baseURL: gateway.baseUrl, apiKey: 'unused', maxRetries: 0 });
      const body = { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user' as const, content: 'hello there' }] };
      // The catalogue's Claude Sonnet 4.5: $3 prompt, $3.75 cache write, $0.30 cache read, $15 completion per million.
      const price = (usage: Anthropic.Usage) =>
        (usage.input_tokens * 3 + (usage.cache_creation_input_tokens ?? 0) * 3.75 + (usage.cache_read_input_tokens ?? 0) * 0.3 + usage.output_tokens * 15) /
        1e6;
      const plain = (await anthropic.messages.create(body)) as Anthropic.Message & { cost_usd: number };
      expect(plain.usage).toMatchObject({ cache_creation_input_tokens: 1000, cache_read_input_tokens: 2000, output_tokens: 2 });
      expect(plain.cost_usd).toBeCloseTo(price(plain.usage), 9);
      expect(plain.cost_usd).toBeGreaterThan((plain.usage.input_tokens + 3000) * 0.3e-6 + 1000 * 3e-6);

      const streamed = await anthropic.messages.stream(body).finalMessage();
      expect(streamed.usage).toMatchObject({ cache_creation_input_tokens: 1000, cache_read_input_tokens: 2000 });

      // The chat route prices them alike (usage carries cache_write_tokens there).
      const chat = await fetch(`${gateway.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello there' }] }),
      });
      const completion = (await chat.json()) as { usage: { prompt_tokens_details: { cached_tokens: number; cache_write_tokens: number } }; cost_usd: number };
      expect(completion.usage.prompt_tokens_details).toEqual({ cached_tokens: 2000, cache_write_tokens: 1000 });
      expect(completion.cost_usd).toBeCloseTo(plain.cost_usd, 9);
    } finally {
      await gateway.stop();
      await server.close();
    }
  });

  it('OpenRouter: its cache_write_tokens priced at the endpoint cache-write price (when it gives no cost)', async () => {
    const server = await startFakeOpenRouter({
      apiKey: 'sk-or-cache',
      // $1000 prompt, $2000 completion, $100 cache read, $1250 cache write per million.
      models: { kind: 'list', models: [{ id: 'acme/cached', prompt: '0.001', completion: '0.002', inputCacheRead: '0.0001', inputCacheWrite: '0.00125' }] },
      behave: () => ({ kind: 'reply', content: 'cached answer', cost: null, cachedTokens: 2, cacheWriteTokens: 3 }),
    });
    const gateway = await gatewayOn(
      { LLM_PROVIDER: 'openrouter', OPENROUTER_API_KEY: 'sk-or-cache', OPENROUTER_BASE_URL: server.baseUrl, LLM_MODEL_ALIASES: 'claude-cached=acme/cached' },
      'messages-cache-openrouter',
    );
    try {
      const anthropic = new Anthropic({ baseURL: gateway.baseUrl, apiKey: 'unused', maxRetries: 0 });
      const message = (await anthropic.messages.create({
        model: 'claude-cached',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }],
      })) as Anthropic.Message & { cost_usd: number };
      expect(server.requests.at(-1)!.body).toMatchObject({ model: 'acme/cached' });
      expect(message.usage).toMatchObject({ input_tokens: 5, cache_read_input_tokens: 2, cache_creation_input_tokens: 3, output_tokens: 2 });
      expect(message.cost_usd).toBeCloseTo((5 * 1000 + 2 * 100 + 3 * 1250 + 2 * 2000) / 1e6, 9);
    } finally {
      await gateway.stop();
      await server.close();
    }
  });
});
