import type { ChatParams, ToolCall } from '@gateway/contracts';
import type { ChatStreamPart } from '../types';
import { createMockAdapter } from './mock-adapter';
import { sampleFromSchema } from './mock-tools';

const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 2 }, unit: { enum: ['c', 'f'] } },
      required: ['city', 'days', 'unit'],
    },
  },
};
const time = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } };
const ask = (extra: Partial<ChatParams> = {}, model = 'echo') => ({ model, messages: [{ role: 'user' as const, content: 'Paris' }], ...extra });
const signal = () => new AbortController().signal;

async function streamed(request: Parameters<ReturnType<typeof createMockAdapter>['chatStream']>[0]) {
  const parts: ChatStreamPart[] = [];
  for await (const part of createMockAdapter().chatStream(request, signal())) parts.push(part);
  return parts;
}

describe('mock tool calls', () => {
  it('samples values that satisfy a schema', () => {
    expect(sampleFromSchema(weather.function.parameters, 'Paris')).toEqual({ city: 'Paris', days: 2, unit: 'c' });
    expect(sampleFromSchema({ type: 'array', items: { type: 'boolean' } }, '')).toEqual([true]);
    expect(sampleFromSchema({ anyOf: [{ type: 'number' }, { type: 'null' }] }, '')).toBe(1);
  });

  it('calls every tool in parallel, then answers the tool results with text', async () => {
    const adapter = createMockAdapter();
    const first = await adapter.chat(ask({ tools: [weather, time] }), signal());
    expect(first.finishReason).toBe('tool_calls');
    expect(first.content).toBe('');
    expect(first.toolCalls).toEqual<ToolCall[]>([
      { id: 'call_mock_0_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":2,"unit":"c"}' } },
      { id: 'call_mock_0_1', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Paris"}' } },
    ]);
    const second = await adapter.chat(
      ask({
        tools: [weather, time],
        messages: [
          { role: 'user', content: 'Paris' },
          { role: 'assistant', content: null, tool_calls: first.toolCalls },
          { role: 'tool', tool_call_id: 'call_mock_0_0', content: 'sunny' },
          { role: 'tool', tool_call_id: 'call_mock_0_1', content: 'noon' },
        ],
      }),
      signal(),
    );
    expect(second).toMatchObject({ content: 'Mock reply to tool results: sunny; noon', toolCalls: [], finishReason: 'stop' });
  });

  it('honours tool_choice none, a named function, and parallel_tool_calls false', async () => {
    const adapter = createMockAdapter();
    expect((await adapter.chat(ask({ tools: [weather], tool_choice: 'none' }), signal())).toolCalls).toEqual([]);
    expect(
      (await adapter.chat(ask({ tools: [weather, time], tool_choice: { type: 'function', function: { name: 'get_time' } } }), signal())).toolCalls.map(
        (call) => call.function.name,
      ),
    ).toEqual(['get_time']);
    expect((await adapter.chat(ask({ tools: [weather, time], parallel_tool_calls: false }), signal())).toolCalls).toHaveLength(1);
  });

  it('runs as many tool rounds as the model name asks', async () => {
    const adapter = createMockAdapter();
    const history: ChatParams['messages'] = [
      { role: 'user', content: 'Paris' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_mock_0_0', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
      { role: 'user', content: 'and now?' },
    ];
    expect((await adapter.chat(ask({ tools: [time], messages: history }, 'echo?tool_rounds=2'), signal())).toolCalls[0]?.id).toBe('call_mock_1_0');
    expect((await adapter.chat(ask({ tools: [time], messages: history }), signal())).toolCalls).toEqual([]);
  });

  it('streams tool calls as OpenAI does: id and name first, then argument fragments', async () => {
    const parts = await streamed(ask({ tools: [weather] }));
    const deltas = parts.flatMap((part) => (part.type === 'tool-call-delta' ? [part.delta] : []));
    expect(deltas[0]).toEqual({ index: 0, id: 'call_mock_0_0', name: 'get_weather', arguments: '' });
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.slice(1).every((delta) => delta.id === undefined && delta.name === undefined)).toBe(true);
    expect(deltas.map((delta) => delta.arguments).join('')).toBe('{"city":"Paris","days":2,"unit":"c"}');
    expect(parts.at(-1)).toEqual({ type: 'stream-end', model: 'echo', finishReason: 'tool_calls' });
  });

  it('answers JSON under a JSON response format', async () => {
    const adapter = createMockAdapter();
    const schema = { type: 'object', properties: { answer: { type: 'string' }, confidence: { type: 'number' } }, required: ['answer', 'confidence'] };
    const structured = await adapter.chat(ask({ response_format: { type: 'json_schema', json_schema: { name: 'out', schema } } }), signal());
    expect(JSON.parse(structured.content)).toEqual({ answer: 'Paris', confidence: 1 });
    expect(JSON.parse((await adapter.chat(ask({ response_format: { type: 'json_object' } }), signal())).content)).toEqual({ reply: 'Paris' });
  });
});
