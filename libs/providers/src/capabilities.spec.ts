import type { ChatParams } from '@gateway/contracts';
import { servableAttempts, unservableMessage, unsupportedField } from './capabilities';

const user = (content: ChatParams['messages'][number]['content']) => ({ messages: [{ role: 'user' as const, content }] as ChatParams['messages'] });
const tools: ChatParams['tools'] = [{ type: 'function', function: { name: 'f' } }];
const image = (url: string) =>
  user([
    { type: 'text', text: 'what is it?' },
    { type: 'image_url', image_url: { url } },
  ]);

describe('provider capabilities', () => {
  it('OpenRouter and the mock honour the whole surface', () => {
    const everything: ChatParams = {
      ...image('https://x.test/a.png'),
      tools,
      tool_choice: 'required',
      logprobs: true,
      top_logprobs: 2,
      seed: 1,
      response_format: { type: 'json_object' },
      reasoning: { max_tokens: 100 },
    };
    expect(unsupportedField('openrouter', everything)).toBeUndefined();
    expect(unsupportedField('mock', everything)).toBeUndefined();
  });

  it.each([
    ['anthropic', { ...user('x'), logprobs: true }, 'logprobs'],
    ['anthropic', { ...user('x'), seed: 3 }, 'seed'],
    ['anthropic', { ...user('x'), response_format: { type: 'json_object' } }, 'response_format'],
    ['anthropic', image('data:image/bmp;base64,Qk0='), 'messages.0.content.1.image_url'],
    ['ollama', { ...user('x'), tools, tool_choice: 'required' }, 'tool_choice'],
    ['ollama', { ...user('x'), tools, tool_choice: { type: 'function', function: { name: 'f' } } }, 'tool_choice'],
    ['ollama', image('https://x.test/a.png'), 'messages.0.content.1.image_url'],
    ['ollama', { ...user('x'), top_logprobs: 1, logprobs: true }, 'logprobs'],
    ['cursor', { ...user('x'), tools }, 'tools'],
    ['cursor', { ...user('x'), response_format: { type: 'json_schema', json_schema: { name: 'n' } } }, 'response_format'],
    ['cursor', image('https://x.test/a.png'), 'messages.0.content.1.image_url'],
    [
      'cursor',
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        ],
      },
      'messages.1',
    ],
    ['openai', { ...user('x'), reasoning: { max_tokens: 100 } }, 'reasoning.max_tokens'],
  ] as const)('%s cannot honour %j: %s', (provider, request, field) => {
    expect(unsupportedField(provider, request as ChatParams)).toBe(field);
  });

  it.each([
    ['anthropic', { ...user('x'), tools, tool_choice: 'required', stop: ['x'], top_p: 0.5 }],
    ['anthropic', image('https://x.test/a.png')],
    ['anthropic', image('data:image/webp;base64,UklGRg==')],
    ['ollama', { ...image('data:image/png;base64,iVBO'), tools, tool_choice: 'auto', seed: 1, response_format: { type: 'json_object' } }],
    ['cursor', { ...user('x'), response_format: { type: 'text' }, tool_choice: 'none', temperature: 0.2 }],
  ] as const)('%s honours %j', (provider, request) => {
    expect(unsupportedField(provider, request as ChatParams)).toBeUndefined();
  });

  it('splits a plan into the providers that can serve and those that cannot, and names the field', () => {
    const plan = [{ provider: 'cursor' as const }, { provider: 'ollama' as const }, { provider: 'anthropic' as const }];
    const { servable, refused } = servableAttempts(plan, { ...user('x'), tools, tool_choice: 'required' });
    expect(servable).toEqual([{ provider: 'anthropic' }]);
    expect(refused.map((entry) => [entry.attempt.provider, entry.field])).toEqual([
      ['cursor', 'tools'],
      ['ollama', 'tool_choice'],
    ]);
    expect(unservableMessage(refused)).toBe('tools: not supported by cursor, ollama');
  });
});
