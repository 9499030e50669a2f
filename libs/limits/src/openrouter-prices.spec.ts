import { parseOpenRouterModels } from './openrouter-prices';

const model = (id: string, pricing: Record<string, unknown>) => ({ id, name: id, context_length: 8192, pricing });

describe('parseOpenRouterModels', () => {
  it('reads USD-per-token strings as USD per million, cache-read, cache-write and reasoning prices where they are not 0', () => {
    const outcome = parseOpenRouterModels({
      data: [
        model('anthropic/claude-sonnet-4.5', {
          prompt: '0.000003',
          completion: '0.000015',
          request: '0',
          image: '0.0048',
          input_cache_read: '0.0000003',
          input_cache_write: '0.00000375',
        }),
        model('openai/o3', { prompt: '0.000002', completion: '0.000008', internal_reasoning: '0.000008', input_cache_read: '0' }),
      ],
    });
    expect(outcome).toEqual({
      table: {
        'anthropic/claude-sonnet-4.5': { prompt: 3, completion: 15, cached: 0.3, cache_write: 3.75 },
        'openai/o3': { prompt: 2, completion: 8, reasoning: 8 },
      },
    });
  });

  it('leaves out entries without a valid price (routers say "-1") and keeps the others', () => {
    const outcome = parseOpenRouterModels({
      data: [
        model('openrouter/auto', { prompt: '-1', completion: '-1' }),
        model('x/bad', { prompt: 'free', completion: '0' }),
        { id: 'x/no-pricing' },
        'junk',
        model('meta-llama/llama-3.1-8b-instruct', { prompt: '0.00000002', completion: '0.00000003' }),
      ],
    });
    expect(outcome).toEqual({ table: { 'meta-llama/llama-3.1-8b-instruct': { prompt: 0.02, completion: 0.03 } } });
  });

  it.each([
    ['an empty list', { data: [] }],
    ['a list of nothing valid', { data: [model('openrouter/auto', { prompt: '-1', completion: '-1' })] }],
    ['another shape', { models: [model('a/b', { prompt: '0.1', completion: '0.1' })] }],
    ['an error body', { error: { message: 'Internal Server Error', code: 500 } }],
    ['a string', '<html>502</html>'],
    ['null', null],
  ])('refuses %s (so good prices are never replaced by it)', (_label, body) => {
    expect(parseOpenRouterModels(body)).toHaveProperty('problem');
  });
});
