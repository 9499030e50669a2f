import { chatRequestSchema, GatewayError, type ChatJobResult, type ChatMessage } from '@gateway/contracts';
import { toResponse } from './from-chat-result';
import { responsesRequestSchema, toResponsesErrorBody } from './responses-wire';
import { responsesStreamFormat } from './stream-events';
import { toChatRequest } from './to-chat-request';

// Shaped like what the openai SDK and the Agents SDK send.
const request = responsesRequestSchema.parse({
  model: 'gpt-4.1',
  instructions: 'You are terse.',
  input: [
    { role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
    { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
    { type: 'function_call_output', call_id: 'call_1', output: '{"temperature":21}' },
    { type: 'reasoning', id: 'rs_1', summary: [] },
  ],
  tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
  tool_choice: { type: 'function', name: 'get_weather' },
  text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
  max_output_tokens: 50,
  reasoning: { effort: 'low' },
  temperature: null,
});

const result: ChatJobResult = {
  content: '',
  model: 'm',
  provider: 'mock',
  usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, prompt_tokens_details: { cached_tokens: 3 } },
  cost_usd: 0,
  finish_reason: 'tool_calls',
  tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } }],
};

describe('the responses dialect', () => {
  it('maps a Responses request onto the internal chat request', () => {
    const body = chatRequestSchema.parse(toChatRequest(request, [], undefined));
    expect(body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":21}' },
    ]);
    expect(body).toMatchObject({
      max_tokens: 50,
      reasoning_effort: 'low',
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true } },
      tools: [{ type: 'function', function: { name: 'get_weather', strict: true } }],
    });
    expect(body).not.toHaveProperty('temperature');
    expect(chatRequestSchema.parse(toChatRequest({ ...request, user: 'end-user-7' }, [], undefined)).user).toBe('end-user-7');
  });

  it("names the Responses field in a 400, not the internal request's: an input with nothing to answer, an output of no call", () => {
    const refusal = (body: unknown, conversation: ChatMessage[] = []) => {
      try {
        toChatRequest(responsesRequestSchema.parse(body), conversation, undefined);
      } catch (error) {
        return error instanceof GatewayError ? toResponsesErrorBody(error.type, error.message).error.param : 'not a GatewayError';
      }
      return 'accepted';
    };
    expect(refusal({ input: [] })).toBe('input');
    expect(refusal({ input: [{ type: 'reasoning', id: 'rs_1', summary: [] }] })).toBe('input');
    expect(refusal({ input: [], instructions: 'Say hi.' })).toBe('accepted');
    const orphan = [
      { role: 'user', content: 'x' },
      { type: 'function_call_output', call_id: 'call_9', output: '1' },
    ];
    expect(refusal({ input: orphan })).toBe('input.1.call_id');
    // A call of the previous response's (previous_response_id) is answered too.
    const earlier: ChatMessage[] = [
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    ];
    expect(refusal({ input: orphan }, earlier)).toBe('accepted');
  });

  it('leaves out built-in tools the model may use, naming them; refuses one forced and includes it cannot honour', () => {
    const dropped = responsesRequestSchema.parse({ input: 'x', tools: [{ type: 'file_search' }, { type: 'function', name: 'f' }, { type: 'namespace' }] });
    expect(dropped.tools).toEqual([{ type: 'function', name: 'f' }]);
    expect(dropped.droppedTools).toEqual(['file_search', 'namespace']);
    const parsed = responsesRequestSchema.safeParse({
      input: 'x',
      tools: [{ type: 'file_search' }, { type: 'function', name: 'bad name' }],
      tool_choice: { type: 'file_search' },
      include: ['message.input_image.image_url'],
    });
    expect(parsed.success).toBe(false);
    const messages = parsed.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tools\.1\.name: /),
        expect.stringMatching(/^tool_choice\.type: .*file_search/),
        expect.stringMatching(/^include\.0: .*image_url/),
      ]),
    );
    const onlyBuiltIn = responsesRequestSchema.safeParse({ input: 'x', tools: [{ type: 'web_search' }], tool_choice: 'required' });
    expect(onlyBuiltIn.error?.issues[0]).toMatchObject({ path: ['tool_choice'] });
  });

  it('renders the Response with function_call items and OpenAI usage', () => {
    const response = toResponse({ id: 'resp_abc', createdAt: 1, model: 'm', request }, { status: 'completed', result });
    expect(response.output).toEqual([
      { id: 'fc_abc_0', type: 'function_call', status: 'completed', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Lyon"}' },
    ]);
    expect(response.usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 3 },
      output_tokens: 4,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 14,
    });
    const cut = toResponse(
      { id: 'resp_abc', createdAt: 1, model: 'm', request },
      { status: 'completed', result: { ...result, tool_calls: undefined, content: 'a', finish_reason: 'length' } },
    );
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('streams numbered events, and a resume from starting_after sends exactly the rest', () => {
    const meta = { id: 'resp_abc', createdAt: 1, model: 'm', request };
    const play = (startingAfter?: number) => {
      const format = responsesStreamFormat({ meta, startingAfter });
      return [
        ...format.chunk('Hel', 'm', 'mock'),
        ...format.chunk('lo', 'm', 'mock'),
        ...format.done({ ...result, content: 'Hello', tool_calls: undefined }, 'j'),
      ] as {
        type: string;
        sequence_number: number;
      }[];
    };
    const all = play();
    expect(all.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(play(4)).toEqual(all.slice(5));
  });
});
