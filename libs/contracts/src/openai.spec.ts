import { fromOpenAiRequest, openAiChatRequestSchema, openAiErrorTypeByErrorType, toOpenAiErrorBody } from './openai';
import { errorTypeSchema } from './errors';

describe('fromOpenAiRequest', () => {
  it('maps the fields, keeps text parts, developer role as system; user names the agent', () => {
    const request = openAiChatRequestSchema.parse({
      model: 'mock/echo',
      messages: [
        { role: 'developer', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hel' },
            { type: 'text', text: 'lo' },
          ],
        },
      ],
      temperature: 0.2,
      max_completion_tokens: 9,
      user: 'agent-7',
      logit_bias: { 1: 2 },
    });
    expect(fromOpenAiRequest(request, 'header-agent')).toEqual({
      agent_id: 'agent-7',
      user: 'agent-7',
      model: 'mock/echo',
      temperature: 0.2,
      max_tokens: 9,
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hel' },
            { type: 'text', text: 'lo' },
          ],
        },
      ],
    });
  });

  it('takes the agent from the header when user is absent, and drops nulls', () => {
    const request = openAiChatRequestSchema.parse({ messages: [{ role: 'user', content: 'x' }], temperature: null, max_tokens: null });
    expect(fromOpenAiRequest(request, 'header-agent')).toEqual({ agent_id: 'header-agent', messages: [{ role: 'user', content: 'x' }] });
  });

  it.each([
    [{ messages: [] }],
    [{ messages: [{ role: 'tool', content: 'x' }] }],
    [{ messages: [{ role: 'user', content: 'x' }], n: 2 }],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'x' }] }] }],
  ])('rejects %j', (body) => {
    expect(openAiChatRequestSchema.safeParse(body).success).toBe(false);
  });
});

describe('OpenAI error shape', () => {
  it('has an OpenAI type for every gateway type', () => {
    for (const type of errorTypeSchema.options) expect(openAiErrorTypeByErrorType[type]).toEqual(expect.any(String));
    expect(toOpenAiErrorBody('rate_limited', 'slow down')).toEqual({
      error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limited' },
    });
  });
});
