import { errorTypeSchema, GatewayError, type ChatJobResult } from '@gateway/contracts';
import { messagesRequestSchema } from './messages-wire';
import { toChatRequest } from './to-chat-request';
import { toMessage } from './from-chat-result';
import { messagesStreamFormat } from './stream-events';
import { messagesErrorStatus, toMessagesErrorBody } from './messages-errors';

const parse = (body: unknown) => messagesRequestSchema.parse(body);
const cache = { type: 'ephemeral' as const };

describe('the messages dialect onto the internal chat request', () => {
  it('a user turn of tool results becomes tool messages first, its other blocks one user message after them', () => {
    const request = toChatRequest(
      parse({
        model: 'm',
        max_tokens: 10,
        system: [{ type: 'text', text: 'sys', cache_control: cache }],
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm', signature: 'sig' },
              { type: 'text', text: 'calling' },
              { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'and', cache_control: cache },
              {
                type: 'tool_result',
                tool_use_id: 'toolu_1',
                is_error: true,
                content: [
                  { type: 'text', text: 'boom' },
                  { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
                ],
              },
            ],
          },
        ],
        tool_choice: { type: 'any', disable_parallel_tool_use: true },
        tools: [{ name: 'f', input_schema: { type: 'object' }, cache_control: cache }],
        stop_sequences: ['END'],
        top_k: 5,
        thinking: { type: 'enabled', budget_tokens: 2048 },
        metadata: { user_id: 'u1' },
      }),
      'agent-1',
    );
    expect(request.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'sys', cache_control: cache }] },
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: 'calling',
        tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        reasoning_blocks: [{ text: 'hmm', signature: 'sig' }],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Error: boom' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'and', cache_control: cache },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
        ],
      },
    ]);
    expect(request).toMatchObject({
      agent_id: 'agent-1',
      tool_choice: 'required',
      parallel_tool_calls: false,
      stop: ['END'],
      top_k: 5,
      reasoning: { max_tokens: 2048 },
      user: 'u1',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } }, cache_control: cache }],
    });
  });

  it('refuses a server tool by name, and requires max_tokens', () => {
    expect(() => parse({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'bash_20250124', name: 'bash' }] })).toThrow(
      /bash_20250124 \(bash\)/,
    );
    expect(() => parse({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).toThrow(/max_tokens/);
  });

  it('names the Messages field in a 400: a tool_result answering no tool_use, a tool_choice naming no tool', () => {
    const orphan = parse({
      model: 'm',
      max_tokens: 1,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1' },
            { type: 'tool_result', tool_use_id: 'toolu_9' },
          ],
        },
      ],
    });
    expect(() => toChatRequest(orphan, undefined)).toThrow(/^invalid request: messages\.2\.content\.1\.tool_use_id: answers no tool_use before it/);
    const choice = parse({
      model: 'm',
      max_tokens: 1,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ name: 'f' }],
      tool_choice: { type: 'tool', name: 'g' },
    });
    expect(() => toChatRequest(choice, undefined)).toThrow(/^invalid request: tool_choice\.name: no tool named g in tools/);
    expect(() => toChatRequest({ ...choice, tool_choice: { type: 'tool', name: 'f' } }, undefined)).not.toThrow();
  });
});

const result: ChatJobResult = {
  content: 'hello',
  model: 'anthropic/claude',
  provider: 'openrouter',
  usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_tokens_details: { cached_tokens: 60, cache_write_tokens: 30 } },
  cost_usd: 0.001,
  finish_reason: 'tool_calls',
  tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
};

describe('the answer as a Message', () => {
  it('counts cache reads and writes apart from input_tokens, as Anthropic does', () => {
    expect(toMessage('msg_1', result)).toMatchObject({
      id: 'msg_1',
      content: [
        { type: 'text', text: 'hello' },
        { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 60, cache_creation_input_tokens: 30 },
    });
  });
});

describe('the stream format', () => {
  it("sends Anthropic's events in order: ping after message_start, blocks opened and closed, message_delta, message_stop", () => {
    const format = messagesStreamFormat({ id: 'msg_1', model: 'claude' });
    const events = [
      ...format.keepAlive!(),
      ...format.reasoning!(
        [
          { index: 0, text: 'hm' },
          { index: 0, signature: 's' },
        ],
        'm',
        'anthropic',
      ),
      ...format.chunk('he', 'm', 'anthropic'),
      ...format.chunk('llo', 'm', 'anthropic'),
      ...format.toolCalls([{ index: 0, id: 'call_1', name: 'f', arguments: '{"a"' }], 'm', 'anthropic'),
      ...format.toolCalls([{ index: 0, arguments: ':1}' }], 'm', 'anthropic'),
      ...format.done(result, 'job'),
    ] as { type: string; index?: number; delta?: { type?: string } }[];
    expect(events.map((event) => `${event.type}${event.index ?? ''}${event.delta?.type ? `:${event.delta.type}` : ''}`)).toEqual([
      'message_start',
      'ping',
      'content_block_start0',
      'content_block_delta0:thinking_delta',
      'content_block_delta0:signature_delta',
      'content_block_stop0',
      'content_block_start1',
      'content_block_delta1:text_delta',
      'content_block_delta1:text_delta',
      'content_block_stop1',
      'content_block_start2',
      'content_block_delta2:input_json_delta',
      'content_block_delta2:input_json_delta',
      'content_block_stop2',
      'message_delta',
      'message_stop',
    ]);
    expect(format.error(new GatewayError('rate_limited', 'slow down'), 'req-1')).toEqual([
      { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' }, request_id: 'req-1' },
    ]);
  });
});

describe("Anthropic's error types", () => {
  it('has a type and status for every error type of the gateway', () => {
    for (const type of errorTypeSchema.options) {
      expect(toMessagesErrorBody(type, 'x').error.type).toMatch(/_error$|^request_too_large$/);
      expect(messagesErrorStatus(type)).toBeGreaterThanOrEqual(400);
    }
    expect(messagesErrorStatus('upstream_error')).toBe(529);
    expect(toMessagesErrorBody('upstream_error', 'x').error.type).toBe('overloaded_error');
  });
});
