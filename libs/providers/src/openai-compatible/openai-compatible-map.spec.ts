import { fromOpenAiToolCallDelta, fromOpenAiToolCalls, fromOpenAiUsage, isInvalidRequestCode, toOpenAiRequest } from './openai-compatible-map';

describe('toOpenAiRequest', () => {
  it('passes the chat parameters as they are, leaves metadata out, and asks a stream for its usage', () => {
    const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }], seed: 1, tool_choice: 'none' as const, metadata: { a: 'b' } };
    expect(toOpenAiRequest(request, false)).toEqual({ model: 'm', messages: request.messages, seed: 1, tool_choice: 'none' });
    expect(toOpenAiRequest(request, true)).toEqual({
      model: 'm',
      messages: request.messages,
      seed: 1,
      tool_choice: 'none',
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

describe('fromOpenAiUsage', () => {
  it('rounds, floors at zero, fills a missing total and keeps the details it is given', () => {
    expect(fromOpenAiUsage({ prompt_tokens: 10.4, completion_tokens: -3 })).toEqual({ prompt_tokens: 10, completion_tokens: 0, total_tokens: 10 });
    expect(
      fromOpenAiUsage({
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 8 },
        completion_tokens_details: { reasoning_tokens: 2 },
      }),
    ).toEqual({
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 8 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    expect(fromOpenAiUsage({ prompt_tokens: 1, completion_tokens: 1, prompt_tokens_details: { cached_tokens: null } })).toEqual({
      prompt_tokens: 1,
      completion_tokens: 1,
      total_tokens: 2,
    });
    expect(fromOpenAiUsage(undefined)).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });
});

describe('tool calls from the wire', () => {
  it('gives every call an id, the function type and string arguments, whatever the upstream left out', () => {
    const calls = fromOpenAiToolCalls({
      tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }, { function: { name: 'g' } }],
    });
    expect(calls[0]).toEqual({ id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } });
    expect(calls[1]).toMatchObject({ type: 'function', function: { name: 'g', arguments: '' } });
    expect(calls[1]!.id).toMatch(/^call_[A-Za-z0-9_-]{16,}$/);
    expect(fromOpenAiToolCalls(null)).toEqual([]);
  });

  it('numbers a fragment without an index as the call before it', () => {
    expect(fromOpenAiToolCallDelta({ index: 2, id: 'call_b', function: { name: 'g', arguments: '' } }, 0)).toEqual({
      index: 2,
      id: 'call_b',
      name: 'g',
      arguments: '',
    });
    expect(fromOpenAiToolCallDelta({ function: { arguments: '{"y"' } }, 2)).toEqual({ index: 2, arguments: '{"y"' });
  });
});

describe('isInvalidRequestCode', () => {
  it.each([
    [400, true],
    ['422', true],
    [404, true],
    [429, false],
    [502, false],
    [null, false],
    ['oops', false],
  ])('%p → %p', (code, expected) => {
    expect(isInvalidRequestCode(code as number | string | null)).toBe(expected);
  });
});
