import { parseReplyMessage, replyMessageSchema } from './job';

const chunk = { kind: 'chunk', job_id: 'j1', seq: 3, text: 'hello ', model: 'm', provider: 'openrouter' };

describe('parseReplyMessage', () => {
  it.each([
    ['a text chunk', chunk],
    ['a restarted run’s chunk', { ...chunk, restart: 2 }],
    ['an empty text', { ...chunk, seq: 0, text: '' }],
  ])('takes %s as it is, as the schema would', (_, message) => {
    expect(parseReplyMessage(message)).toBe(message);
    expect(replyMessageSchema.parse(message)).toEqual(message);
  });

  it('leaves chunks with tool calls or reasoning, and other kinds, to the schema', () => {
    const withCalls = { ...chunk, tool_calls: [{ index: 0, id: 'c', name: 'f', arguments: '{}' }] };
    expect(parseReplyMessage(withCalls)).toEqual(withCalls);
    expect(parseReplyMessage(withCalls)).not.toBe(withCalls);
    const error = { kind: 'error', job_id: 'j1', error: { type: 'timeout', message: 'late' } };
    expect(parseReplyMessage(error)).toEqual(replyMessageSchema.parse(error));
  });

  it.each([
    ['a negative seq', { ...chunk, seq: -1 }],
    ['a fractional seq', { ...chunk, seq: 1.5 }],
    ['a seq as text', { ...chunk, seq: '1' }],
    ['restart 1', { ...chunk, restart: 1 }],
    ['restart null', { ...chunk, restart: null }],
    ['text that is not a string', { ...chunk, text: 5 }],
    ['no text', { kind: 'chunk', job_id: 'j1', seq: 0, model: 'm', provider: 'openrouter' }],
    ['an unknown provider', { ...chunk, provider: 'elsewhere' }],
    ['no job id', { ...chunk, job_id: undefined }],
    ['tool calls that are not a list', { ...chunk, tool_calls: 'x' }],
    ['an unknown kind', { ...chunk, kind: 'chunks' }],
    ['null', null],
    ['a list', [chunk]],
  ])('refuses %s, as the schema does', (_, message) => {
    expect(replyMessageSchema.safeParse(message).success).toBe(false);
    expect(() => parseReplyMessage(message)).toThrow();
  });
});
