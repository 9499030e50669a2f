import { chatRequestSchema } from './chat';
import { contentText, isImageUrl } from './messages';
import { openAiChatRequestSchema, fromOpenAiRequest } from './openai';
import { MAX_TOOLS } from './tools';

const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: true,
  },
};
const call = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
const loop = [
  { role: 'user', content: 'Weather in Paris?' },
  { role: 'assistant', content: null, tool_calls: [call] },
  { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
];

function paths(
  body: unknown,
  schema: { safeParse(value: unknown): { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } } = chatRequestSchema,
): string[] {
  const parsed = schema.safeParse(body);
  expect(parsed.success).toBe(false);
  return parsed.error?.issues.map((issue) => issue.path.join('.')) ?? [];
}

describe('the chat surface', () => {
  it('accepts a whole tool loop with every OpenAI field, as it is', () => {
    const body = {
      messages: loop,
      tools: [weather],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      stop: ['END'],
      top_p: 0.9,
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      logprobs: true,
      top_logprobs: 3,
      reasoning_effort: 'low',
      reasoning: { effort: 'high' },
      user: 'u-1',
      metadata: { team: 'search' },
    };
    const parsed = chatRequestSchema.parse(body);
    expect(parsed).toEqual(body);
  });

  it('takes image parts by URL and as data: URIs', () => {
    const content = [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ];
    const parsed = chatRequestSchema.parse({ messages: [{ role: 'user', content }] });
    expect(parsed.messages[0]!.content).toEqual(content);
    expect(contentText(parsed.messages[0]!.content)).toBe('What is this?');
  });

  it.each([
    ['https://x.test/a.png', true],
    ['http://x.test/a.png', true],
    ['data:image/jpeg;base64,/9j/4AAQ', true],
    ['ftp://x.test/a.png', false],
    ['file:///etc/passwd', false],
    ['data:text/html;base64,PGh0bWw+', false],
    ['data:image/png;base64,<script>', false],
    ['not a url', false],
  ])('image URL %s accepted: %s', (url, ok) => {
    expect(isImageUrl(url)).toBe(ok);
  });

  it.each([
    ['tools not an array', { messages: loop.slice(0, 1), tools: { type: 'function' } }, 'tools'],
    ['a tool that is not a function tool', { messages: loop.slice(0, 1), tools: [{ type: 'retrieval' }] }, 'tools.0.type'],
    ['a tool name with spaces', { messages: loop.slice(0, 1), tools: [{ type: 'function', function: { name: 'get weather' } }] }, 'tools.0.function.name'],
    [
      'parameters not an object',
      { messages: loop.slice(0, 1), tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] },
      'tools.0.function.parameters',
    ],
    [
      'parameters too large',
      { messages: loop.slice(0, 1), tools: [{ type: 'function', function: { name: 'f', parameters: { description: 'x'.repeat(70_000) } } }] },
      'tools.0.function.parameters',
    ],
    [
      'too many tools',
      { messages: loop.slice(0, 1), tools: Array.from({ length: MAX_TOOLS + 1 }, (_, index) => ({ type: 'function', function: { name: `f${index}` } })) },
      'tools',
    ],
    ['duplicate tool names', { messages: loop.slice(0, 1), tools: [weather, weather] }, 'tools'],
    [
      'tool_choice naming an unknown function',
      { messages: loop.slice(0, 1), tools: [weather], tool_choice: { type: 'function', function: { name: 'nope' } } },
      'tool_choice.function.name',
    ],
    ['tool_choice required without tools', { messages: loop.slice(0, 1), tool_choice: 'required' }, 'tool_choice'],
    ['tool_choice of an unknown kind', { messages: loop.slice(0, 1), tools: [weather], tool_choice: 'always' }, 'tool_choice'],
    ['a tool message without tool_call_id', { messages: [...loop.slice(0, 2), { role: 'tool', content: 'x' }] }, 'messages.2.tool_call_id'],
    [
      'a tool message answering no call',
      { messages: [...loop.slice(0, 2), { role: 'tool', tool_call_id: 'call_9', content: 'x' }] },
      'messages.2.tool_call_id',
    ],
    ['an assistant message with neither content nor calls', { messages: [...loop.slice(0, 1), { role: 'assistant', content: null }] }, 'messages.1.content'],
    [
      'a tool call without arguments',
      { messages: [loop[0], { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f' } }] }] },
      'messages.1.tool_calls.0.function.arguments',
    ],
    ['an image part without url', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, 'messages.0.content'],
    [
      'an image URL of another scheme',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] },
      'messages.0.content.0.image_url.url',
    ],
    [
      'an image in a system message',
      { messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] }] },
      'messages.0.content',
    ],
    ['response_format of an unknown type', { messages: loop.slice(0, 1), response_format: { type: 'yaml' } }, 'response_format.type'],
    [
      'json_schema without a name',
      { messages: loop.slice(0, 1), response_format: { type: 'json_schema', json_schema: { schema: {} } } },
      'response_format.json_schema.name',
    ],
    ['five stop sequences', { messages: loop.slice(0, 1), stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    ['top_p above 1', { messages: loop.slice(0, 1), top_p: 1.5 }, 'top_p'],
    ['a fractional seed', { messages: loop.slice(0, 1), seed: 1.5 }, 'seed'],
    ['presence_penalty out of range', { messages: loop.slice(0, 1), presence_penalty: 3 }, 'presence_penalty'],
    ['top_logprobs without logprobs', { messages: loop.slice(0, 1), top_logprobs: 2 }, 'top_logprobs'],
    ['an unknown reasoning effort', { messages: loop.slice(0, 1), reasoning_effort: 'max' }, 'reasoning_effort'],
    ['metadata values not strings', { messages: loop.slice(0, 1), metadata: { n: 1 } }, 'metadata.n'],
  ])('rejects %s, naming %s', (_label, body, path) => {
    expect(paths(body)).toContain(path);
  });

  it('the OpenAI route takes the same surface, with nulls as absent, and maps it onto the gateway request', () => {
    const request = openAiChatRequestSchema.parse({
      model: 'mock/echo',
      messages: [{ role: 'developer', content: 'Use tools' }, ...loop],
      tools: [weather],
      tool_choice: 'auto',
      stop: null,
      seed: 7,
      max_completion_tokens: 20,
      response_format: { type: 'json_object' },
    });
    expect(fromOpenAiRequest(request)).toEqual({
      model: 'mock/echo',
      messages: [{ role: 'system', content: 'Use tools' }, ...loop],
      tools: [weather],
      tool_choice: 'auto',
      seed: 7,
      max_tokens: 20,
      response_format: { type: 'json_object' },
    });
  });

  it('the OpenAI route names the wrong tool field too', () => {
    expect(paths({ messages: [...loop.slice(0, 2), { role: 'tool', content: 'x' }] }, openAiChatRequestSchema)).toContain('messages.2.tool_call_id');
    expect(
      paths({ messages: loop.slice(0, 1), tools: [weather], tool_choice: { type: 'function', function: { name: 'x' } } }, openAiChatRequestSchema),
    ).toContain('tool_choice.function.name');
  });

  it('an empty tools array means no tools', () => {
    expect(fromOpenAiRequest(openAiChatRequestSchema.parse({ messages: loop.slice(0, 1), tools: [] }))).toEqual({ messages: loop.slice(0, 1) });
  });
});
