import { cataloguePrice } from './catalogue-prices';
import { createPriceBook } from './price-book';
import { builtInPricing, callCostUsd, estimateCostUsd } from './pricing';

const endpoint = {
  'acme/only-at-openrouter': { prompt: 7, completion: 9 },
  'openai/gpt-4o': { prompt: 2.4, completion: 9.6 },
  'thudm/glm-4-9b-chat': { prompt: 0.05, completion: 0.2 },
};

describe('the price book', () => {
  it('asks the file, then the endpoint (OpenRouter calls), the catalogue, the built-in rows, the endpoint (others), then *', () => {
    const book = createPriceBook({ file: { 'openai/gpt-4o': { prompt: 1, completion: 1 } } });
    book.setOpenRouter(endpoint, 1);
    expect(book.lookup('openrouter', 'openai/gpt-4o')).toEqual({ price: { prompt: 1, completion: 1 }, origin: 'file' });
    expect(book.lookup('openai', 'gpt-4o')).toEqual({ price: { prompt: 1, completion: 1 }, origin: 'file' });
    expect(book.lookup('openrouter', 'thudm/glm-4-9b-chat')).toEqual({ price: { prompt: 0.05, completion: 0.2 }, origin: 'openrouter' });
    expect(book.lookup('anthropic', 'claude-sonnet-4-5')).toMatchObject({ price: { prompt: 3, completion: 15, cached: 0.3 }, origin: 'catalogue' });
    expect(book.lookup('openrouter', 'acme/only-at-openrouter')).toEqual({ price: { prompt: 7, completion: 9 }, origin: 'openrouter' });
    // Served by another provider, known to no table but the endpoint: priced from it too.
    expect(book.lookup('openai', 'acme/only-at-openrouter')).toEqual({ price: { prompt: 7, completion: 9 }, origin: 'openrouter' });
    expect(book.lookup('openai', 'nobody/knows-this')).toEqual({ price: builtInPricing['*'], origin: 'default' });
  });

  it('falls back to the catalogue and the built-in rows while the endpoint has given nothing', () => {
    const book = createPriceBook();
    expect(book.lookup('openrouter', 'thudm/glm-4-9b-chat').origin).not.toBe('openrouter');
    expect(book.lookup('openrouter', 'acme/only-at-openrouter')).toEqual({ price: builtInPricing['*'], origin: 'default' });
    expect(book.setOpenRouter({}, 5)).toBe(false);
    expect(book.openRouterFetchedAt()).toBeUndefined();
    expect(book.setOpenRouter(endpoint, 5)).toBe(true);
    expect(book.lookup('openrouter', 'acme/only-at-openrouter').origin).toBe('openrouter');
    // An empty answer later keeps the good prices.
    expect(book.setOpenRouter({}, 6)).toBe(false);
    expect(book.lookup('openrouter', 'acme/only-at-openrouter').origin).toBe('openrouter');
    expect(book.openRouterFetchedAt()).toBe(5);
  });

  it("the file's * row replaces the built-in one; the file itself never prices by *", () => {
    const book = createPriceBook({ file: { '*': { prompt: 100, completion: 100 } } });
    expect(book.lookup('openai', 'nobody/knows-this')).toEqual({ price: { prompt: 100, completion: 100 }, origin: 'default' });
    expect(book.lookup('openai', 'gpt-4o').origin).toBe('catalogue');
  });

  it('prices estimates and calls, cached tokens at the cache price', () => {
    const book = createPriceBook({ catalogue: () => undefined });
    book.setOpenRouter({ 'acme/m': { prompt: 2, completion: 4, cached: 0.5 } }, 1);
    const messages = [{ role: 'user' as const, content: 'x'.repeat(30) }];
    expect(estimateCostUsd(book, { providers: ['openrouter'], model: 'acme/m', messages, maxTokens: 100 })).toBeCloseTo((14 * 2 + 100 * 4) / 1e6, 12);
    const usage = { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100, prompt_tokens_details: { cached_tokens: 800 } };
    expect(callCostUsd(book, { provider: 'openrouter', model: 'acme/m', usage })).toBeCloseTo((200 * 2 + 800 * 0.5 + 100 * 4) / 1e6, 12);
    expect(callCostUsd(book, { provider: 'openrouter', model: 'acme/m', usage, providerCostUsd: 0.123 })).toBe(0.123);
  });
});

describe('the catalogue (@pydantic/genai-prices)', () => {
  it('knows the providers it prices, with cache-read prices', () => {
    expect(cataloguePrice('openai', 'gpt-4o')).toMatchObject({ prompt: 2.5, completion: 10, cached: 1.25 });
    expect(cataloguePrice('openai', 'openai/gpt-4o-mini')).toMatchObject({ prompt: 0.15, completion: 0.6 });
    expect(cataloguePrice('anthropic', 'claude-3-5-haiku-20241022')).toMatchObject({ prompt: 0.8, completion: 4 });
    expect(cataloguePrice('openrouter', 'anthropic/claude-3.5-sonnet')).toMatchObject({ prompt: 3, completion: 15 });
    // Embedding models have an input price only: their output (none) costs nothing.
    expect(cataloguePrice('openai', 'text-embedding-3-small')).toEqual({ prompt: 0.02, completion: 0 });
    expect(cataloguePrice('openai', 'openai/text-embedding-3-large')).toEqual({ prompt: 0.13, completion: 0 });
  });

  it('has nothing for unknown models and free providers', () => {
    expect(cataloguePrice('openai', 'nobody/knows-this')).toBeUndefined();
    expect(cataloguePrice('ollama', 'llama3.1')).toBeUndefined();
    expect(cataloguePrice('mock', 'gpt-4o')).toBeUndefined();
  });
});
