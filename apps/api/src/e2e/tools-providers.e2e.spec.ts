import OpenAI from 'openai';
import {
  startGateway,
  startRedis,
  uniquePrefix,
  weatherLoopCities,
  weatherLoopUpstreams,
  type FakeServer,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

/**
 * The same agent tool loop through the gateway to each real provider's wire format: the fakes answer a turn that
 * ends in tool results with text and any other turn with two parallel calls, and they refuse (400) a request that
 * breaks their API's rules, so a mapping mistake fails here.
 */
type Chat = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const cities = weatherLoopCities;
const upstreams = weatherLoopUpstreams('tools');

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function toolResults(calls: readonly OpenAI.Chat.Completions.ChatCompletionMessageToolCall[]): Chat[] {
  return calls.map((call) => {
    if (call.type !== 'function') throw new Error('not a function call');
    const { city } = JSON.parse(call.function.arguments) as { city: string };
    return { role: 'tool', tool_call_id: call.id, content: city === 'Paris' ? 'sunny' : 'rainy' };
  });
}

describe.each(upstreams)('an agent tool loop through the gateway to $name', (upstream) => {
  let server: FakeServer;
  let gateway: GatewayProcesses;
  let openai: OpenAI;

  beforeAll(async () => {
    const started = await upstream.start();
    server = started.server;
    gateway = await startGateway({
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix(`tools-${upstream.name}`),
      GATEWAY_RATE_RPS: '1000',
      GATEWAY_RATE_BURST: '1000',
      ...started.env,
    });
    openai = new OpenAI({ baseURL: `${gateway.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway?.stop();
    await server?.close();
  });

  it('plain: two parallel calls, their results sent back, the final answer', async () => {
    const messages: Chat[] = [
      { role: 'system', content: 'Use the tools.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
    ];
    const first = await openai.chat.completions.create({ model: upstream.model, messages, tools: [weatherTool], max_tokens: 200 });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls?.map((call) => (call.type === 'function' ? JSON.parse(call.function.arguments) : undefined))).toEqual(cities);
    const ids = choice.message.tool_calls!.map((call) => call.id);
    expect(new Set(ids).size).toBe(2);
    messages.push(choice.message, ...toolResults(choice.message.tool_calls!));
    const second = await openai.chat.completions.create({ model: upstream.model, messages, tools: [weatherTool], max_tokens: 200 });
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { role: 'assistant', content: 'Paris sunny, Rome rainy' } });
    // The fake refused nothing: both calls reached it, the second with the calls and their results in its own form.
    const calls = server.requests.filter((request) => request.method === 'POST');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(calls.at(-1)!.body)).toContain('rainy');
  });

  it('streamed: deltas by index reassemble with the SDK’s helper, and the loop ends in streamed text', async () => {
    const messages: Chat[] = [{ role: 'user', content: 'Weather in Paris and Rome?' }];
    const stream = openai.chat.completions.stream({ model: upstream.model, messages, tools: [weatherTool], max_tokens: 200 });
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0]!.message;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.tool_calls?.map((call) => (call.type === 'function' ? [call.function.name, JSON.parse(call.function.arguments)] : []))).toEqual(
      cities.map((args) => ['get_weather', args]),
    );
    messages.push({ role: 'assistant', content: message.content ?? null, tool_calls: message.tool_calls! }, ...toolResults(message.tool_calls!));
    const final = await openai.chat.completions.create({ model: upstream.model, messages, tools: [weatherTool], max_tokens: 200, stream: true });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of final) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('Paris sunny, Rome rainy');
    expect(finish).toBe('stop');
  });
});
