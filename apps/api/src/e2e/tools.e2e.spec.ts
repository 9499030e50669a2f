import OpenAI from 'openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { postJson, postSse, useGateway, waitFor } from '@gateway/testing';

const { gateway } = useGateway({
  name: 'tools',
  env: { LLM_PROVIDER: 'mock', LLM_DEFAULT_MODEL: 'mock/echo', GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000' },
});
let openai: OpenAI;
beforeAll(() => {
  openai = new OpenAI({ baseURL: `${gateway.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const timeTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } },
};

/** Runs the tools an answer asked for, as an agent does. */
function runTools(calls: readonly OpenAI.Chat.Completions.ChatCompletionMessageToolCall[]): OpenAI.Chat.Completions.ChatCompletionToolMessageParam[] {
  return calls.map((call) => {
    if (call.type !== 'function') throw new Error('not a function call');
    const args = JSON.parse(call.function.arguments) as Record<string, string>;
    return { role: 'tool', tool_call_id: call.id, content: call.function.name === 'get_weather' ? `21C in ${args['city']}` : `noon in ${args['zone']}` };
  });
}

describe('tool calling through the official openai SDK', () => {
  it('runs the whole loop with parallel calls: call → tool_calls → tool messages → final answer', async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Paris' }];
    const first = await openai.chat.completions.create({ model: 'mock/echo', messages, tools: [weatherTool, timeTool], tool_choice: 'auto' });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      { id: 'call_mock_0_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_mock_0_1', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Paris"}' } },
    ]);
    messages.push(choice.message, ...runTools(choice.message.tool_calls!));
    const second = await openai.chat.completions.create({ model: 'mock/echo', messages, tools: [weatherTool, timeTool] });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toBe('Mock reply to tool results: 21C in Paris; noon in Paris');
  });

  it('streams the loop: tool-call deltas by index reassemble with the SDK’s own stream helper', async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Rome' }];
    const stream = openai.chat.completions.stream({
      model: 'mock/echo?chunk_delay=2',
      messages,
      tools: [weatherTool, timeTool],
      stream_options: { include_usage: true },
    });
    const indexes: number[] = [];
    for await (const chunk of stream) for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) indexes.push(delta.index);
    const completion = await stream.finalChatCompletion();
    expect(new Set(indexes)).toEqual(new Set([0, 1]));
    expect(indexes.length).toBeGreaterThan(2);
    const message = completion.choices[0]!.message;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls?.map((call) => (call.type === 'function' ? [call.id, call.function.name, call.function.arguments] : []))).toEqual([
      ['call_mock_0_0', 'get_weather', '{"city":"Rome"}'],
      ['call_mock_0_1', 'get_time', '{"zone":"Rome"}'],
    ]);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    messages.push({ role: 'assistant', content: null, tool_calls: message.tool_calls! }, ...runTools(message.tool_calls!));
    const final = await openai.chat.completions.create({ model: 'mock/echo', messages, tools: [weatherTool, timeTool], stream: true });
    let text = '';
    for await (const chunk of final) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Mock reply to tool results: 21C in Rome; noon in Rome');
  });

  it('honours tool_choice and parallel_tool_calls, and answers json_schema structured output', async () => {
    const named = await openai.chat.completions.create({
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'x' }],
      tools: [weatherTool, timeTool],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    expect(named.choices[0]!.message.tool_calls?.map((call) => (call.type === 'function' ? call.function.name : ''))).toEqual(['get_time']);
    const single = await openai.chat.completions.create({
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'x' }],
      tools: [weatherTool, timeTool],
      parallel_tool_calls: false,
    });
    expect(single.choices[0]!.message.tool_calls).toHaveLength(1);
    const structured = await openai.chat.completions.create({
      model: 'mock/echo',
      messages: [{ role: 'user', content: 'Oslo' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'city',
          schema: { type: 'object', properties: { name: { type: 'string' }, population: { type: 'integer' } }, required: ['name', 'population'] },
          strict: true,
        },
      },
      seed: 7,
      top_p: 0.5,
      stop: ['END'],
    });
    expect(JSON.parse(structured.choices[0]!.message.content!)).toEqual({ name: 'Oslo', population: 1 });
  });

  it('accepts image parts and answers them', async () => {
    const completion = await openai.chat.completions.create({
      model: 'mock/echo',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } },
          ],
        },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe('Mock reply to: What is this?');
  });

  it.each([
    ['tools not function tools', { tools: [{ type: 'retrieval' }] }, 'tools.0.type'],
    [
      'tool_choice naming an unknown function',
      { tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'nope' } } },
      'tool_choice.function.name',
    ],
    [
      'a tool message without tool_call_id',
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'tool', content: 'r' },
        ],
      },
      'messages.1.tool_call_id',
    ],
    [
      'a tool message answering no call',
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'tool', tool_call_id: 'call_9', content: 'r' },
        ],
      },
      'messages.1.tool_call_id',
    ],
    [
      'an image URL of another scheme',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] },
      'messages.0.content.0.image_url.url',
    ],
  ])('answers 400 naming the field for %s', async (_label, fields, path) => {
    const error = await openai.chat.completions
      .create({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }], ...fields } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(path);
  });

  it('refuses with 400 naming the field a request no provider of its route can honour, before enqueueing', async () => {
    const error = await openai.chat.completions
      .create({ model: 'cursor/auto', messages: [{ role: 'user', content: 'x' }], tools: [weatherTool] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain('tools: not supported by cursor');
  });
});

describe('tool calling through the Vercel AI SDK', () => {
  const gatewayProvider = () => createOpenAICompatible({ name: 'gateway', baseURL: `${gateway.baseUrl}/v1`, apiKey: 'unused', includeUsage: true });
  const tools = () => ({
    get_weather: tool({ description: 'Weather of a city', inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => `21C in ${city}` }),
  });

  it('generateText runs several tool steps against the gateway', async () => {
    const result = await generateText({ model: gatewayProvider()('mock/echo?tool_rounds=2'), tools: tools(), stopWhen: stepCountIs(5), prompt: 'Lima' });
    expect(result.steps.map((step) => step.finishReason)).toEqual(['tool-calls', 'tool-calls', 'stop']);
    expect(result.steps[0]!.toolCalls.map((call) => [call.toolName, call.input])).toEqual([['get_weather', { city: 'Lima' }]]);
    expect(result.text).toBe('Mock reply to tool results: 21C in Lima');
  });

  it('streamText runs the same loop over the gateway’s OpenAI stream', async () => {
    const result = streamText({ model: gatewayProvider()('mock/echo?chunk_delay=1'), tools: tools(), stopWhen: stepCountIs(3), prompt: 'Quito' });
    expect(await result.text).toBe('Mock reply to tool results: 21C in Quito');
    expect((await result.steps).map((step) => step.finishReason)).toEqual(['tool-calls', 'stop']);
  });
});

describe('tool calling on the gateway’s own routes', () => {
  const body = { agent_id: 'tools-agent', messages: [{ role: 'user', content: 'Kyiv' }], tools: [weatherTool] };

  it('/v1/chat answers tool_calls and finish_reason', async () => {
    const { status, body: answer } = await postJson(`${gateway.baseUrl}/v1/chat`, body);
    expect(status).toBe(200);
    expect(answer).toMatchObject({
      content: '',
      finish_reason: 'tool_calls',
      tool_calls: [{ id: 'call_mock_0_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Kyiv"}' } }],
      provider: 'mock',
    });
  });

  it('/v1/chat/stream relays tool-call events, then the done event with the whole calls', async () => {
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { ...body, model: 'mock/echo?chunk_delay=1' });
    expect(result.status).toBe(200);
    const fragments = result.events.flatMap((event) =>
      (event as { done?: boolean }).done ? [] : ((event as { tool_calls?: { index: number; function: { arguments: string } }[] }).tool_calls ?? []),
    );
    expect(fragments[0]).toMatchObject({ index: 0, id: 'call_mock_0_0', type: 'function', function: { name: 'get_weather' } });
    expect(fragments.map((fragment) => fragment.function.arguments).join('')).toBe('{"city":"Kyiv"}');
    expect(result.events.at(-1)).toMatchObject({
      done: true,
      finish_reason: 'tool_calls',
      tool_calls: [{ id: 'call_mock_0_0', function: { arguments: '{"city":"Kyiv"}' } }],
    });
  });

  it('an asynchronous job and a batch carry tools and keep the calls in their results', async () => {
    const submitted = await postJson(`${gateway.baseUrl}/v1/jobs`, body);
    expect(submitted.status).toBe(202);
    const jobId = (submitted.body as { job_id: string }).job_id;
    const view = await waitFor(async () => {
      const response = await fetch(`${gateway.baseUrl}/v1/jobs/${jobId}`);
      const job = (await response.json()) as { status: string; result?: unknown };
      return job.status === 'completed' ? job : undefined;
    });
    expect(view!.result).toMatchObject({ finish_reason: 'tool_calls', tool_calls: [{ function: { name: 'get_weather' } }] });

    const jsonl = [
      JSON.stringify({
        custom_id: 'a',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'mock/echo', messages: [{ role: 'user', content: 'Baku' }], tools: [weatherTool] },
      }),
      JSON.stringify({ custom_id: 'b', ...body }),
    ].join('\n');
    const batch = await fetch(`${gateway.baseUrl}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/jsonl' }, body: jsonl });
    expect(batch.status).toBe(202);
    const batchId = ((await batch.json()) as { batch_id: string }).batch_id;
    const done = await waitFor(async () => {
      const response = await fetch(`${gateway.baseUrl}/v1/batches/${batchId}?results=true`);
      const view = (await response.json()) as {
        done: boolean;
        results: { custom_id: string; result?: { tool_calls?: { function: { arguments: string } }[] } }[];
      };
      return view.done ? view : undefined;
    });
    expect(done!.results.map((entry) => [entry.custom_id, entry.result?.tool_calls?.[0]?.function.arguments])).toEqual([
      ['a', '{"city":"Baku"}'],
      ['b', '{"city":"Kyiv"}'],
    ]);
  });

  it('a batch whose request no provider can honour is refused whole, naming the request and field', async () => {
    const { status, body: answer } = await postJson(`${gateway.baseUrl}/v1/batches`, [body, { ...body, model: 'cursor/auto' }]);
    expect(status).toBe(400);
    expect((answer as { error: { message: string } }).error.message).toContain('requests.1.tools: not supported by cursor');
  });
});
