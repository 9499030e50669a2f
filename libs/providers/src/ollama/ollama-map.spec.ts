import { GatewayError } from '@gateway/contracts';
import { fromOllamaToolCalls, fromOllamaUsage, mapOllamaFinishReason, toOllamaRequest } from './ollama-map';

const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

describe('toOllamaRequest', () => {
  it('maps a tool loop: images to bare base64, calls with object arguments, results with the tool’s name', () => {
    const body = toOllamaRequest(
      {
        model: 'llava',
        messages: [
          { role: 'system', content: 'be brief' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What city is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        ],
        tools: [weather],
      },
      true,
    );
    expect(body).toEqual({
      model: 'llava',
      stream: true,
      tools: [weather],
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'What city is this?', images: ['iVBORw0KGgo='] },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
        { role: 'tool', content: 'sunny', tool_name: 'get_weather' },
      ],
    });
  });

  it('puts sampling in options, stop as a list, response_format in format, reasoning as think; no tools under tool_choice none', () => {
    const base = { model: 'm', messages: [{ role: 'user' as const, content: 'x' }] };
    expect(
      toOllamaRequest({ ...base, temperature: 0.1, max_tokens: 9, top_p: 0.5, seed: 3, stop: 'END', presence_penalty: 1, frequency_penalty: -1 }, false),
    ).toEqual({
      ...base,
      stream: false,
      options: { temperature: 0.1, num_predict: 9, top_p: 0.5, seed: 3, stop: ['END'], presence_penalty: 1, frequency_penalty: -1 },
    });
    expect(toOllamaRequest({ ...base, response_format: { type: 'json_object' } }, false).format).toBe('json');
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    expect(toOllamaRequest({ ...base, response_format: { type: 'json_schema', json_schema: { name: 's', schema } } }, false).format).toEqual(schema);
    expect(toOllamaRequest({ ...base, response_format: { type: 'text' } }, false)).not.toHaveProperty('format');
    expect(toOllamaRequest({ ...base, reasoning: { effort: 'high' } }, false).think).toBe(true);
    expect(toOllamaRequest({ ...base, reasoning_effort: 'minimal' }, false)).not.toHaveProperty('think');
    expect(toOllamaRequest({ ...base, tools: [weather], tool_choice: 'none' }, false)).not.toHaveProperty('tools');
  });

  it('refuses a call whose arguments are not a JSON object, naming the message', () => {
    const bad = () =>
      toOllamaRequest(
        {
          model: 'm',
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1,2' } }] },
            { role: 'tool', tool_call_id: 'c', content: 'r' },
          ],
        },
        false,
      );
    expect(bad).toThrow(GatewayError);
    expect(bad).toThrow(/messages\.1/);
  });
});

describe('from Ollama', () => {
  it('gives calls ids and string arguments, keeps one when parallel calls are off', () => {
    const answer = { message: { tool_calls: [{ function: { name: 'a', arguments: { x: 1 } } }, { function: { name: 'b', arguments: '{"y":2}' } }] } };
    const calls = fromOllamaToolCalls(answer, undefined);
    expect(calls.map((call) => call.function)).toEqual([
      { name: 'a', arguments: '{"x":1}' },
      { name: 'b', arguments: '{"y":2}' },
    ]);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
    expect(fromOllamaToolCalls(answer, false)).toHaveLength(1);
  });

  it('reads usage (a cached prompt has no prompt_eval_count) and the finish reason', () => {
    expect(fromOllamaUsage({ prompt_eval_count: 7, eval_count: 3 })).toEqual({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(fromOllamaUsage({ eval_count: 3 })).toEqual({ prompt_tokens: 0, completion_tokens: 3, total_tokens: 3 });
    expect(mapOllamaFinishReason('stop', true)).toBe('tool_calls');
    expect(mapOllamaFinishReason('length')).toBe('length');
    expect(mapOllamaFinishReason(undefined)).toBeNull();
  });
});
