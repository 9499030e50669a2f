import { GatewayError, type ToolCall, type ToolCallDelta } from '@gateway/contracts';
import { startFakeOpenRouter, type FakeOpenRouter, type OpenRouterBehaviour } from '@gateway/testing';
import { createOpenAiAdapter } from '../openai/openai-adapter';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest } from '../types';
import { createOpenRouterAdapter } from './openrouter-adapter';

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const timeTool = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } };
const ask: ProviderChatRequest = {
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
  tools: [weatherTool, timeTool],
  tool_choice: 'auto',
  parallel_tool_calls: true,
};

let fake: FakeOpenRouter;
let adapter: ProviderAdapter;

function behave(behaviour: OpenRouterBehaviour) {
  fake.setBehaviour(() => behaviour);
}

async function collect(iterable: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of iterable) parts.push(part);
  return parts;
}

/** Joins streamed fragments by index, as a client does. */
function assemble(parts: ChatStreamPart[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const part of parts) {
    if (part.type !== 'tool-call-delta') continue;
    const delta: ToolCallDelta = part.delta;
    const call = (calls[delta.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
    if (delta.id) call.id = delta.id;
    if (delta.name) call.function.name = delta.name;
    call.function.arguments += delta.arguments;
  }
  return calls;
}

const parisCalls = [
  { name: 'get_weather', arguments: { city: 'Paris' } },
  { name: 'get_time', arguments: { zone: 'Europe/Paris' } },
];

beforeAll(async () => {
  fake = await startFakeOpenRouter({ apiKey: 'sk-or-test' });
  adapter = createOpenRouterAdapter({ baseUrl: fake.baseUrl, apiKey: 'sk-or-test', timeoutMs: 1500 });
});
afterAll(async () => {
  await adapter.close();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('OpenRouter adapter: a tool loop on the wire', () => {
  it('sends tools and reads the calls, then sends the calls and their results back and reads the answer', async () => {
    behave({ kind: 'tool-calls', calls: parisCalls });
    const first = await adapter.chat(ask, new AbortController().signal);
    expect(first.finishReason).toBe('tool_calls');
    expect(first.content).toBe('');
    expect(first.toolCalls).toEqual([
      { id: 'call_fake_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_fake_1', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' } },
    ]);
    expect(fake.requests[0]!.body).toMatchObject({ tools: [weatherTool, timeTool], tool_choice: 'auto', parallel_tool_calls: true, usage: { include: true } });

    behave({ kind: 'reply', content: 'Sunny, 14:00' });
    const second = await adapter.chat(
      {
        ...ask,
        messages: [
          ...ask.messages,
          { role: 'assistant', content: null, tool_calls: first.toolCalls },
          { role: 'tool', tool_call_id: 'call_fake_0', content: '{"sky":"sunny"}' },
          { role: 'tool', tool_call_id: 'call_fake_1', content: '14:00' },
        ],
      },
      new AbortController().signal,
    );
    expect(second).toMatchObject({ content: 'Sunny, 14:00', toolCalls: [], finishReason: 'stop' });
    expect((fake.requests[1]!.body as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'Weather and time in Paris?' },
      { role: 'assistant', content: null, tool_calls: first.toolCalls },
      { role: 'tool', tool_call_id: 'call_fake_0', content: '{"sky":"sunny"}' },
      { role: 'tool', tool_call_id: 'call_fake_1', content: '14:00' },
    ]);
  });

  it.each([
    ['one call after the other', false],
    ['interleaved fragments', true],
  ])('streams parallel calls as fragments numbered by index (%s)', async (_name, interleave) => {
    behave({ kind: 'tool-calls', calls: parisCalls, interleave });
    const parts = await collect(adapter.chatStream(ask, new AbortController().signal));
    expect(assemble(parts)).toEqual([
      { id: 'call_fake_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_fake_1', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' } },
    ]);
    expect(parts.filter((part) => part.type === 'tool-call-delta').length).toBe(8);
    expect(parts.at(-1)).toEqual({ type: 'stream-end', model: 'openai/gpt-4o-mini', finishReason: 'tool_calls' });
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, tools: [weatherTool, timeTool] });
  });

  it('a conversation the upstream refuses (a call left unanswered) is the caller’s 400, not a provider failure', async () => {
    behave({ kind: 'reply', content: 'never' });
    const refused = await adapter
      .chat(
        {
          ...ask,
          messages: [
            ...ask.messages,
            { role: 'assistant', content: null, tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
            { role: 'user', content: 'and?' },
          ],
        },
        new AbortController().signal,
      )
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ type: 'invalid_request', details: { recovery: 'final', upstreamStatus: 400 } });
    expect((refused as Error).message).toContain('did not have response messages: call_x');
  });
});

describe('OpenRouter adapter: the rest of the chat surface', () => {
  it('passes sampling, stop, seed, structured output, images and user through as they are, and keeps metadata home', async () => {
    behave({ kind: 'reply', content: '{"ok":true}' });
    const format = {
      type: 'json_schema' as const,
      json_schema: {
        name: 'answer',
        strict: true,
        schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false },
      },
    };
    await adapter.chat(
      {
        model: 'openai/gpt-4o',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
            ],
          },
        ],
        response_format: format,
        top_p: 0.9,
        seed: 42,
        stop: ['END'],
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        temperature: 0,
        max_tokens: 50,
        reasoning: { effort: 'low' },
        user: 'agent-7',
        metadata: { trace: 'abc' },
      },
      new AbortController().signal,
    );
    const sent = fake.requests[0]!.body as Record<string, unknown>;
    expect(sent).toMatchObject({
      response_format: format,
      top_p: 0.9,
      seed: 42,
      stop: ['END'],
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      temperature: 0,
      max_tokens: 50,
      reasoning: { effort: 'low' },
      user: 'agent-7',
    });
    expect((sent['messages'] as { content: unknown }[])[0]!.content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
    ]);
    expect(sent).not.toHaveProperty('metadata');
  });

  it('reads cached and reasoning token counts, plain and streamed', async () => {
    behave({ kind: 'reply', content: 'Two words', cachedTokens: 3, reasoningTokens: 11, cost: 0.002 });
    const answer = await adapter.chat({ model: 'm', messages: [{ role: 'user', content: 'four words go here' }] }, new AbortController().signal);
    expect(answer.usage).toEqual({
      prompt_tokens: 4,
      completion_tokens: 13,
      total_tokens: 17,
      prompt_tokens_details: { cached_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 11 },
    });
    expect(answer.costUsd).toBe(0.002);
    const parts = await collect(adapter.chatStream({ model: 'm', messages: [{ role: 'user', content: 'four words go here' }] }, new AbortController().signal));
    expect(parts.find((part) => part.type === 'usage')).toEqual({ type: 'usage', usage: answer.usage, costUsd: 0.002 });
  });

  it('returns logprobs when asked for them', async () => {
    behave({ kind: 'reply', content: 'Hello there' });
    const answer = await adapter.chat(
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], logprobs: true, top_logprobs: 2 },
      new AbortController().signal,
    );
    const content = (answer.logprobs as { content: { token: string; top_logprobs: unknown[] }[] }).content;
    expect(content.map((entry) => entry.token)).toEqual(['Hello ', 'there']);
    expect(content[0]!.top_logprobs).toHaveLength(2);
    expect(fake.requests[0]!.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
  });
});

describe('OpenAI adapter (deprecated) on the same wire', () => {
  it('maps OpenRouter’s reasoning object to reasoning_effort and sends no OpenRouter-only field', async () => {
    const openai = createOpenAiAdapter({ baseUrl: fake.baseUrl, apiKey: 'sk-or-test', timeoutMs: 1500 });
    try {
      behave({ kind: 'reply', content: 'ok' });
      await openai.chat({ model: 'o3-mini', messages: [{ role: 'user', content: 'think' }], reasoning: { effort: 'high' } }, new AbortController().signal);
      await openai.chat({ model: 'o3-mini', messages: [{ role: 'user', content: 'think' }], reasoning: { enabled: false } }, new AbortController().signal);
      await openai.chat(
        { model: 'o3-mini', messages: [{ role: 'user', content: 'think' }], reasoning_effort: 'minimal', reasoning: { effort: 'high' } },
        new AbortController().signal,
      );
      const sent = fake.requests.map((entry) => entry.body as Record<string, unknown>);
      expect(sent.map((body) => body['reasoning_effort'])).toEqual(['high', 'none', 'minimal']);
      for (const body of sent) {
        expect(body).not.toHaveProperty('reasoning');
        expect(body).not.toHaveProperty('usage');
      }
    } finally {
      await openai.close();
    }
  });
});
