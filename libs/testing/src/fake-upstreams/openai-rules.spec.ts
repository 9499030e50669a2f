import { openAiRequestProblem } from './openai-rules';

const call = { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } };
const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];

describe('openAiRequestProblem (the fake upstream’s copy of OpenAI’s 400s)', () => {
  it('accepts a whole tool loop with images and structured output', () => {
    expect(
      openAiRequestProblem({
        model: 'm',
        messages: [
          { role: 'developer', content: 'be brief' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'hi' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
            ],
          },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: 'call_1', content: 'done' },
        ],
        tools,
        tool_choice: { type: 'function', function: { name: 'f' } },
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } },
      }),
    ).toBeUndefined();
  });

  it.each([
    ['a field it does not know', { model: 'm', messages: [{ role: 'user', content: 'x' }], agent_id: 'a' }, 'agent_id'],
    [
      'an unanswered call',
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'user', content: 'y' },
        ],
      },
      'messages',
    ],
    [
      'an unanswered call at the end',
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [call] },
        ],
      },
      'messages',
    ],
    [
      'a tool message without a call',
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'tool', tool_call_id: 'call_9', content: 'r' },
        ],
      },
      'messages[1].role',
    ],
    ['a null user content', { model: 'm', messages: [{ role: 'user', content: null }] }, 'messages[0].content'],
    [
      'an image in an assistant turn',
      { model: 'm', messages: [{ role: 'assistant', content: [{ type: 'image_url', image_url: { url: 'https://x/a.png' } }] }] },
      'messages[0].content[0]',
    ],
    ['tool_choice without tools', { model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: 'required' }, 'tool_choice'],
    [
      'a tool_choice naming no tool',
      { model: 'm', messages: [{ role: 'user', content: 'x' }], tools, tool_choice: { type: 'function', function: { name: 'g' } } },
      'tool_choice',
    ],
    [
      'a bad function name',
      { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'has space' } }] },
      'tools[0].function.name',
    ],
    [
      'a json_schema without a name',
      { model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { schema: {} } } },
      'response_format.json_schema.name',
    ],
  ])('refuses %s', (_name, body, param) => {
    expect(openAiRequestProblem(body as Record<string, unknown>)?.param).toBe(param);
  });
});
