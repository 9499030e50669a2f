import {
  fromOpenAiToolCallDelta,
  fromOpenAiToolCalls,
  fromOpenAiUsage,
  isInvalidRequestCode,
  toOpenAiRequest,
  withoutCacheControl,
} from './openai-compatible-map';

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

describe('caching breakpoints and reasoning blocks on the OpenAI wire', () => {
  const cache = { type: 'ephemeral' as const };
  const request = {
    model: 'm',
    messages: [
      { role: 'system' as const, content: [{ type: 'text' as const, text: 'sys', cache_control: cache }] },
      { role: 'user' as const, content: 'hi' },
      { role: 'assistant' as const, content: 'ok', reasoning_blocks: [{ text: 'hm', signature: 's' }] },
      { role: 'user' as const, content: 'again' },
    ],
    tools: [{ type: 'function' as const, function: { name: 'f' }, cache_control: cache }],
  };

  it('keeps breakpoints on content parts (OpenRouter), drops them from tools, and never sends reasoning blocks', () => {
    const body = withoutCacheControl(toOpenAiRequest(request, false), true);
    expect(body.messages[0]).toEqual({ role: 'system', content: [{ type: 'text', text: 'sys', cache_control: cache }] });
    expect(body.messages[2]).toEqual({ role: 'assistant', content: 'ok' });
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'f' } }]);
  });

  it('drops them everywhere for an upstream that takes none (OpenAI), and leaves a body without any as it is', () => {
    const body = withoutCacheControl(toOpenAiRequest(request, false), false);
    expect(body.messages[0]).toEqual({ role: 'system', content: [{ type: 'text', text: 'sys' }] });
    const plain = toOpenAiRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, false);
    expect(withoutCacheControl(plain, false)).toBe(plain);
  });

  it("reads OpenRouter's cache_write_tokens", () => {
    expect(fromOpenAiUsage({ prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 2, cache_write_tokens: 3 } })).toMatchObject({
      prompt_tokens_details: { cached_tokens: 2, cache_write_tokens: 3 },
    });
  });
});
