import { chatJobResultSchema, plainChatJobResult } from './job';

const plain = {
  content: 'Hello "there" é😀',
  model: 'mock/x',
  provider: 'mock',
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  cost_usd: 0.0000123,
  finish_reason: 'stop',
};
/** Values around the plain answer: each is taken by the shortcut only if the schema gives the very same value. */
const variants: Record<string, unknown> = {
  plain,
  'finish_reason null': { ...plain, finish_reason: null },
  'zero cost and tokens': { ...plain, cost_usd: 0, usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } },
  'negative zero cost': { ...plain, cost_usd: -0 },
  'keys in another order': { model: plain.model, content: plain.content, provider: plain.provider, usage: plain.usage, cost_usd: 0, finish_reason: 'stop' },
  'usage keys in another order': { ...plain, usage: { completion_tokens: 7, prompt_tokens: 12, total_tokens: 19 } },
  'an unknown key': { ...plain, extra: 1 },
  'an unknown usage key': { ...plain, usage: { ...plain.usage, extra: 1 } },
  'usage details': { ...plain, usage: { ...plain.usage, prompt_tokens_details: { cached_tokens: 1 } } },
  'tool calls': { ...plain, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
  'a missing key': { content: 'x', model: 'm', provider: 'mock', usage: plain.usage, cost_usd: 0 },
  'an unknown provider': { ...plain, provider: 'elsewhere' },
  'content not text': { ...plain, content: 1 },
  'model not text': { ...plain, model: null },
  'negative cost': { ...plain, cost_usd: -1 },
  'cost as text': { ...plain, cost_usd: '0' },
  'fractional tokens': { ...plain, usage: { ...plain.usage, total_tokens: 1.5 } },
  'negative tokens': { ...plain, usage: { ...plain.usage, prompt_tokens: -1 } },
  'unsafe integer tokens': { ...plain, usage: { ...plain.usage, total_tokens: 2 ** 53 } },
  'usage an array': { ...plain, usage: [12, 7, 19] },
  'usage null': { ...plain, usage: null },
  'finish_reason a number': { ...plain, finish_reason: 1 },
  'a __proto__ key': JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(plain).slice(1)}`),
  'an array': [plain],
  null: null,
};

describe('plainChatJobResult', () => {
  it.each(Object.entries(variants))('gives what the schema gives, or leaves it to the schema: %s', (_name, value) => {
    const shortcut = plainChatJobResult(value);
    if (shortcut === undefined) return;
    const parsed = chatJobResultSchema.safeParse(value);
    expect(parsed.success).toBe(true);
    expect(JSON.stringify(shortcut)).toBe(JSON.stringify(parsed.data));
  });

  it('takes the plain answers the worker writes, and nothing else here', () => {
    const taken = Object.entries(variants).flatMap(([name, value]) => (plainChatJobResult(value) ? [name] : []));
    expect(taken).toEqual(['plain', 'finish_reason null', 'zero cost and tokens', 'negative zero cost']);
  });

  // A new field of the schema (or of usage) must be looked at here: the shortcut only knows these.
  it('knows every key of the schema', () => {
    expect(Object.keys(chatJobResultSchema.shape)).toEqual([
      'content',
      'model',
      'provider',
      'usage',
      'cost_usd',
      'finish_reason',
      'tool_calls',
      'logprobs',
      'embeddings',
      'embeddings_stored',
      'reasoning_blocks',
    ]);
    expect(Object.keys(chatJobResultSchema.shape.usage.shape)).toEqual([
      'prompt_tokens',
      'completion_tokens',
      'total_tokens',
      'prompt_tokens_details',
      'completion_tokens_details',
    ]);
  });
});
