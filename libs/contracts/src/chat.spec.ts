import { chatRequestSchema } from './chat';

const valid = { agent_id: 'agent-1', messages: [{ role: 'user', content: 'Hello' }], model: 'thudm/glm-4-9b-chat', temperature: 0.7, max_tokens: 256 };

describe('chatRequestSchema', () => {
  it('accepts the spec example', () => {
    expect(chatRequestSchema.parse(valid)).toEqual(valid);
  });

  it('accepts a request with only messages', () => {
    expect(chatRequestSchema.safeParse({ messages: [{ role: 'system', content: '' }] }).success).toBe(true);
  });

  it.each([
    ['no messages', { messages: [] }, 'messages'],
    ['messages not an array', { messages: 'hi' }, 'messages'],
    ['unknown role', { messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role'],
    ['a tool message without tool_call_id', { messages: [{ role: 'tool', content: 'x' }] }, 'messages.0.tool_call_id'],
    ['content not a string', { messages: [{ role: 'user', content: 5 }] }, 'messages.0.content'],
    ['temperature too high', { ...valid, temperature: 2.5 }, 'temperature'],
    ['temperature negative', { ...valid, temperature: -0.1 }, 'temperature'],
    ['temperature a string', { ...valid, temperature: '0.7' }, 'temperature'],
    ['max_tokens fractional', { ...valid, max_tokens: 1.5 }, 'max_tokens'],
    ['max_tokens zero', { ...valid, max_tokens: 0 }, 'max_tokens'],
    ['empty model', { ...valid, model: '' }, 'model'],
    ['agent_id a number', { ...valid, agent_id: 7 }, 'agent_id'],
    ['priority zero', { ...valid, priority: 0 }, 'priority'],
  ])('rejects %s at %s', (_label, body, path) => {
    const parsed = chatRequestSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});
