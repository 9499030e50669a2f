import { GatewayError } from '@gateway/contracts';
import { anthropicError, fromAnthropicUsage, mapAnthropicStopReason, toAnthropicRequest } from './anthropic-map';

describe('toAnthropicRequest', () => {
  it('moves every system message into `system` and starts with a user turn', () => {
    expect(
      toAnthropicRequest(
        {
          model: 'm',
          messages: [
            { role: 'system', content: 'A' },
            { role: 'assistant', content: 'earlier answer' },
            { role: 'system', content: 'B' },
            { role: 'user', content: 'go on' },
          ],
          temperature: 1.7,
        },
        true,
      ),
    ).toEqual({
      model: 'm',
      max_tokens: 4096,
      system: 'A\n\nB',
      messages: [
        { role: 'user', content: '(continue)' },
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: 'go on' },
      ],
      temperature: 1,
      stream: true,
    });
  });

  it('refuses a conversation of system messages only', () => {
    expect(() => toAnthropicRequest({ model: 'm', messages: [{ role: 'system', content: 'x' }] }, false)).toThrow('at least one user');
  });
});

describe('Anthropic errors and stop reasons', () => {
  it.each([
    ['invalid_request_error', 'invalid_request', 'final'],
    ['not_found_error', 'invalid_request', 'final'],
    ['overloaded_error', 'upstream_error', 'failover'],
    ['api_error', 'upstream_error', 'failover'],
    ['rate_limit_error', 'upstream_error', 'failover'],
  ])('%s is %s (recovery %s)', (type, gatewayType, recovery) => {
    expect(anthropicError({ type, message: 'x' })).toMatchObject({ type: gatewayType, details: { recovery } });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    [null, null],
  ])('maps %s to %s', (reason, expected) => {
    expect(mapAnthropicStopReason(reason)).toBe(expected);
  });
});

describe('toAnthropicRequest: the chat surface', () => {
  const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }];
  const base = { model: 'm', messages: [{ role: 'user' as const, content: 'q' }], tools };

  it.each([
    ['auto', undefined, { type: 'auto' }],
    ['required', undefined, { type: 'any' }],
    ['none', undefined, { type: 'none' }],
    [{ type: 'function' as const, function: { name: 'f' } }, undefined, { type: 'tool', name: 'f' }],
    ['auto', false, { type: 'auto', disable_parallel_tool_use: true }],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
  ] as const)('tool_choice %j with parallel_tool_calls %s → %j', (choice, parallel, expected) => {
    const body = toAnthropicRequest(
      { ...base, ...(choice !== undefined ? { tool_choice: choice } : {}), ...(parallel !== undefined ? { parallel_tool_calls: parallel } : {}) },
      false,
    );
    expect(body.tool_choice).toEqual(expected);
  });

  it('maps stop, top_p and user; tools without parameters get an empty object schema', () => {
    const body = toAnthropicRequest(
      {
        model: 'm',
        messages: base.messages,
        tools: [{ type: 'function', function: { name: 'g' } }],
        stop: 'END',
        top_p: 0.3,
        user: 'agent-1',
        seed: 5,
        metadata: { a: 'b' },
      },
      false,
    );
    expect(body).toEqual({
      model: 'm',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'q' }],
      top_p: 0.3,
      stop_sequences: ['END'],
      tools: [{ name: 'g', input_schema: { type: 'object', properties: {} } }],
      metadata: { user_id: 'agent-1' },
    });
  });

  it('turns reasoning into extended thinking, without temperature and with room above the budget', () => {
    expect(toAnthropicRequest({ ...base, reasoning_effort: 'high', temperature: 0.2, max_tokens: 1000 }, false)).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 16384 },
      max_tokens: 17408,
    });
    expect(toAnthropicRequest({ ...base, reasoning_effort: 'high', temperature: 0.2 }, false)).not.toHaveProperty('temperature');
    expect(toAnthropicRequest({ ...base, reasoning: { max_tokens: 500 } }, false).thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(toAnthropicRequest({ ...base, reasoning_effort: 'minimal' }, false)).not.toHaveProperty('thinking');
  });

  it('refuses tool call arguments that are not a JSON object, naming the message, so another provider may try', () => {
    const call = { id: 'c', type: 'function' as const, function: { name: 'f', arguments: '[1,2]' } };
    const attempt = () =>
      toAnthropicRequest(
        {
          model: 'm',
          messages: [
            { role: 'user', content: 'q' },
            { role: 'assistant', content: null, tool_calls: [call] },
          ],
        },
        false,
      );
    expect(attempt).toThrow(GatewayError);
    expect(attempt).toThrow('messages.1.tool_calls');
  });

  it('counts cache reads and writes into prompt tokens, and stop reasons in OpenAI words', () => {
    expect(fromAnthropicUsage({ input_tokens: 5, cache_read_input_tokens: 10, cache_creation_input_tokens: 3 }, { output_tokens: 2 })).toEqual({
      prompt_tokens: 18,
      completion_tokens: 2,
      total_tokens: 20,
      prompt_tokens_details: { cached_tokens: 10, cache_write_tokens: 3 },
    });
    expect([mapAnthropicStopReason('tool_use'), mapAnthropicStopReason('refusal'), mapAnthropicStopReason('end_turn')]).toEqual([
      'tool_calls',
      'content_filter',
      'stop',
    ]);
  });
});

describe('toAnthropicRequest: caching breakpoints, top_k and thinking passed back', () => {
  it('puts breakpoints on system blocks, message blocks, tool results and tools; signed thinking first in its turn', () => {
    const cache = { type: 'ephemeral' as const };
    const body = toAnthropicRequest(
      {
        model: 'claude',
        top_k: 7,
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'sys', cache_control: cache }] },
          { role: 'user', content: [{ type: 'text', text: 'hi', cache_control: cache }] },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }],
            reasoning_blocks: [{ text: 'hm', signature: 'sig' }, { redacted: 'xyz' }, { text: 'unsigned' }],
          },
          { role: 'tool', tool_call_id: 't1', content: [{ type: 'text', text: 'done', cache_control: cache }] },
        ],
        tools: [{ type: 'function', function: { name: 'f' }, cache_control: cache }],
      },
      false,
    );
    expect(body.system).toEqual([{ type: 'text', text: 'sys', cache_control: cache }]);
    expect(body.top_k).toBe(7);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'hi', cache_control: cache }] },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'hm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'xyz' },
          { type: 'tool_use', id: 't1', name: 'f', input: {} },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'done', cache_control: cache }] },
    ]);
    expect(body.tools).toEqual([{ name: 'f', input_schema: { type: 'object', properties: {} }, cache_control: cache }]);
  });
});
