import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@gateway/config';
import {
  IMAGE_TOKENS,
  LOW_DETAIL_IMAGE_TOKENS,
  builtInPricing,
  callCostUsd,
  estimateCostUsd,
  estimatePromptTokens,
  loadPricingTable,
  priceOf,
  pricesFromTable,
  tokenCostUsd,
  usageCostUsd,
} from './pricing';
import { formatUsd, nanoToUsd, usdToNano } from './money';
import { utcPeriods } from './periods';

const usage = (prompt: number, completion: number) => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });
const dir = mkdtempSync(join(tmpdir(), 'gw-pricing-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('pricing arithmetic', () => {
  it('charges tokens × USD per million', () => {
    expect(tokenCostUsd({ prompt: 3, completion: 15 }, 1000, 500)).toBeCloseTo(0.003 + 0.0075, 12);
    expect(tokenCostUsd({ prompt: 0.035, completion: 0.138 }, 1_000_000, 1_000_000)).toBeCloseTo(0.173, 12);
    expect(tokenCostUsd({ prompt: 3, completion: 15 }, 0, 0)).toBe(0);
  });

  it('prices the default model from the built-in table', () => {
    expect(
      callCostUsd(pricesFromTable(builtInPricing), { provider: 'openrouter', model: 'thudm/glm-4-9b-chat', usage: usage(2_000_000, 1_000_000) }),
    ).toBeCloseTo(2 * 0.035 + 0.138, 12);
  });

  it("takes the provider's own figure when it gives one", () => {
    expect(
      callCostUsd(pricesFromTable(builtInPricing), {
        provider: 'openrouter',
        model: 'thudm/glm-4-9b-chat',
        usage: usage(1000, 1000),
        providerCostUsd: 0.0000123,
      }),
    ).toBe(0.0000123);
    expect(
      callCostUsd(pricesFromTable(builtInPricing), { provider: 'openrouter', model: 'openai/gpt-4o', usage: usage(1_000_000, 0), providerCostUsd: null }),
    ).toBeCloseTo(2.5, 12);
  });

  it('prices cached prompt tokens and reasoning tokens at their own prices, the rest at the plain ones', () => {
    const price = { prompt: 3, completion: 15, cached: 0.3, reasoning: 20 };
    const withDetails = {
      ...usage(1_000_000, 1_000_000),
      prompt_tokens_details: { cached_tokens: 400_000 },
      completion_tokens_details: { reasoning_tokens: 250_000 },
    };
    expect(usageCostUsd(price, withDetails)).toBeCloseTo(0.6 * 3 + 0.4 * 0.3 + 0.75 * 15 + 0.25 * 20, 12);
    // Cache writes (part of prompt_tokens too) at the cache-write price, reads at the cache-read price.
    const withWrites = { ...usage(1_000_000, 0), prompt_tokens_details: { cached_tokens: 400_000, cache_write_tokens: 100_000 } };
    expect(usageCostUsd({ ...price, cache_write: 3.75 }, withWrites)).toBeCloseTo(0.5 * 3 + 0.4 * 0.3 + 0.1 * 3.75, 12);
    expect(usageCostUsd(price, withWrites)).toBeCloseTo(0.6 * 3 + 0.4 * 0.3, 12);
    // A model without a cache or reasoning price: those tokens cost the plain price, never nothing.
    expect(usageCostUsd({ prompt: 3, completion: 15 }, withDetails)).toBeCloseTo(3 + 15, 12);
    // Details larger than the totals (a confused upstream) are clipped to them.
    expect(usageCostUsd(price, { ...usage(10, 10), prompt_tokens_details: { cached_tokens: 50 } })).toBeCloseTo((10 * 0.3 + 10 * 15) / 1e6, 15);
    expect(callCostUsd(pricesFromTable({ m: price }), { provider: 'anthropic', model: 'm', usage: withDetails })).toBeCloseTo(
      usageCostUsd(price, withDetails),
      12,
    );
  });

  it.each(['mock', 'ollama', 'cursor'] as const)('%s costs nothing', (provider) => {
    expect(callCostUsd(pricesFromTable(builtInPricing), { provider, model: 'openai/gpt-4o', usage: usage(1_000_000, 1_000_000), providerCostUsd: 5 })).toBe(0);
  });

  it('finds a model by its bare name either way, else the * row', () => {
    expect(priceOf(builtInPricing, 'gpt-4o')).toEqual(builtInPricing['openai/gpt-4o']);
    expect(priceOf({ 'gpt-4o': { prompt: 1, completion: 2 } }, 'openai/gpt-4o')).toEqual({ prompt: 1, completion: 2 });
    expect(priceOf(builtInPricing, 'someone/unknown-model')).toEqual(builtInPricing['*']);
    expect(priceOf({}, 'x')).toEqual({ prompt: 0, completion: 0 });
  });

  it('estimates from the messages and max_tokens, 0 when only free providers may serve', () => {
    const messages = [{ role: 'user' as const, content: 'x'.repeat(30) }];
    expect(estimatePromptTokens(messages)).toBe(14);
    const table = { m: { prompt: 1_000_000, completion: 2_000_000 } };
    expect(estimateCostUsd(pricesFromTable(table), { providers: ['openrouter'], model: 'm', messages, maxTokens: 10 })).toBeCloseTo(14 + 20, 9);
    expect(estimateCostUsd(pricesFromTable(table), { providers: ['mock', 'ollama'], model: 'm', messages, maxTokens: 10 })).toBe(0);
    expect(estimateCostUsd(pricesFromTable(table), { providers: ['ollama', 'openrouter'], model: 'm', messages, maxTokens: 10 })).toBeCloseTo(34, 9);
  });

  it('keeps money in exact nano-USD', () => {
    expect(usdToNano(0.0000123)).toBe(12_300);
    expect(usdToNano(50)).toBe(50_000_000_000);
    expect(usdToNano(-1)).toBe(0);
    expect(usdToNano(Number.NaN)).toBe(0);
    expect(nanoToUsd(usdToNano(0.1) + usdToNano(0.2))).toBe(0.3);
    expect(formatUsd(12.5)).toBe('$12.50');
    expect(formatUsd(0.0001234)).toBe('$0.000123');
  });

  it('names UTC periods', () => {
    expect(utcPeriods(Date.UTC(2026, 10, 30, 23, 59, 59, 999))).toEqual({ day: '2026-11-30', month: '2026-11' });
    expect(utcPeriods(Date.UTC(2026, 11, 1, 0, 0, 0, 0))).toEqual({ day: '2026-12-01', month: '2026-12' });
  });
});

describe('loadPricingTable', () => {
  it('is the built-in table without a file', () => {
    expect(loadPricingTable(undefined)).toBe(builtInPricing);
  });

  it('overrides and extends the built-in table from the file', () => {
    const table = loadPricingTable(
      file('good.json', JSON.stringify({ 'thudm/glm-4-9b-chat': { prompt: 1, completion: 2 }, 'acme/new': { prompt: 0.5, completion: 0.5 } })),
    );
    expect(table['thudm/glm-4-9b-chat']).toEqual({ prompt: 1, completion: 2 });
    expect(table['acme/new']).toEqual({ prompt: 0.5, completion: 0.5 });
    expect(table['openai/gpt-4o']).toEqual(builtInPricing['openai/gpt-4o']);
  });

  it('takes cached, cache-write and reasoning prices from the file', () => {
    const table = loadPricingTable(
      file('cached.json', JSON.stringify({ 'acme/m': { prompt: 1, completion: 2, cached: 0.1, cache_write: 1.25, reasoning: 3 } })),
    );
    expect(table['acme/m']).toEqual({ prompt: 1, completion: 2, cached: 0.1, cache_write: 1.25, reasoning: 3 });
  });

  it.each([
    ['not JSON', '{ "m": ', 'not valid JSON'],
    ['a negative price', JSON.stringify({ m: { prompt: -1, completion: 1 } }), 'm.prompt'],
    ['a price as a string', JSON.stringify({ m: { prompt: '1', completion: 1 } }), 'm.prompt'],
    ['a missing field', JSON.stringify({ m: { prompt: 1 } }), 'm.completion'],
    ['an unknown field', JSON.stringify({ m: { prompt: 1, completion: 1, cache_creation: 1 } }), 'm'],
    ['an array', JSON.stringify([1, 2]), '(file)'],
  ])('refuses %s naming LLM_PRICING_FILE', (_label, text, where) => {
    const path = file(`bad-${Math.random()}.json`, text);
    expect(() => loadPricingTable(path)).toThrow(ConfigError);
    expect(() => loadPricingTable(path)).toThrow(/LLM_PRICING_FILE/);
    expect(() => loadPricingTable(path)).toThrow(where);
  });

  it('refuses a missing file naming the variable', () => {
    expect(() => loadPricingTable(join(dir, 'absent.json'))).toThrow(/LLM_PRICING_FILE: cannot read .*ENOENT/);
  });

  it('estimates count tool definitions, tool calls, JSON schemas and images', () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const base = estimatePromptTokens(messages);
    expect(estimatePromptTokens({ messages })).toBe(base);
    const tools = [{ type: 'function' as const, function: { name: 'search', description: 'x'.repeat(300), parameters: { type: 'object' } } }];
    expect(estimatePromptTokens({ messages, tools })).toBeGreaterThanOrEqual(base + 100);
    const withImage = [
      {
        role: 'user' as const,
        content: [
          { type: 'text' as const, text: 'hi' },
          { type: 'image_url' as const, image_url: { url: 'https://x.test/a.png' } },
        ],
      },
    ];
    expect(estimatePromptTokens(withImage)).toBe(base + IMAGE_TOKENS);
    const lowDetail = [
      {
        role: 'user' as const,
        content: [
          { type: 'text' as const, text: 'hi' },
          { type: 'image_url' as const, image_url: { url: 'https://x.test/a.png', detail: 'low' as const } },
        ],
      },
    ];
    expect(estimatePromptTokens(lowDetail)).toBe(base + LOW_DETAIL_IMAGE_TOKENS);
    const calls = [
      ...messages,
      {
        role: 'assistant' as const,
        content: null,
        tool_calls: [{ id: 'c', type: 'function' as const, function: { name: 'search', arguments: 'y'.repeat(300) } }],
      },
    ];
    expect(estimatePromptTokens(calls)).toBeGreaterThan(base + 100);
    const schema = { type: 'json_schema' as const, json_schema: { name: 'out', schema: { description: 'z'.repeat(300) } } };
    expect(estimatePromptTokens({ messages, response_format: schema })).toBeGreaterThan(base + 100);
    expect(
      estimateCostUsd(pricesFromTable(builtInPricing), { providers: ['openrouter'], model: 'openai/gpt-4o', messages: withImage, maxTokens: 0 }),
    ).toBeCloseTo(((base + IMAGE_TOKENS) * 2.5) / 1_000_000, 9);
  });
});
