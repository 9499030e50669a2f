import { calcPrice } from '@pydantic/genai-prices';
import type { ProviderId } from '@gateway/contracts';
import { definitionOf } from '@gateway/providers';
import type { ModelPrice } from './pricing';

/** A catalogue price field: a number, or tiered prices (by prompt length) whose base tier is taken. */
function usdPerMillion(value: unknown): number | undefined {
  const number = typeof value === 'object' && value !== null && 'base' in value ? (value as { base: unknown }).base : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= 0 ? number : undefined;
}

/**
 * A model's price in @pydantic/genai-prices (bundled data; nothing is fetched): prompt, completion, cache-read,
 * cache-write and reasoning prices in USD per million tokens, at today's date. Tiered prices (Anthropic above 200k prompt tokens)
 * take their base tier. Undefined when the catalogue does not know the model, also under its bare name
 * (`openai/gpt-4o` → `gpt-4o` on OpenAI).
 */
export function cataloguePrice(provider: ProviderId, model: string): ModelPrice | undefined {
  const { prices, models } = definitionOf(provider);
  if (prices.kind !== 'catalogue') return undefined;
  const providerId = prices.catalogueId;
  // A provider serving every `vendor/model` id knows it by that name; a direct API also by its bare name.
  const names = model.includes('/') && models.kind !== 'any' ? [model, model.slice(model.lastIndexOf('/') + 1)] : [model];
  for (const name of names) {
    let found: ReturnType<typeof calcPrice>;
    try {
      found = calcPrice({ input_tokens: 0, output_tokens: 0 }, name, { providerId });
    } catch {
      // The catalogue refuses some names (or some match rule fails on them): not a price.
      found = null;
    }
    if (!found) continue;
    const prices = found.model_price;
    const prompt = usdPerMillion(prices['input_mtok']);
    // A model priced by its input alone (an embedding model) generates nothing: its output costs nothing.
    const completion = usdPerMillion(prices['output_mtok']) ?? (prompt !== undefined && prices['output_mtok'] === undefined ? 0 : undefined);
    if (prompt === undefined || completion === undefined) continue;
    const cached = usdPerMillion(prices['cache_read_mtok']);
    const written = usdPerMillion(prices['cache_write_mtok']);
    const reasoning = usdPerMillion(prices['output_reasoning_mtok']);
    return {
      prompt,
      completion,
      ...(cached !== undefined ? { cached } : {}),
      ...(written !== undefined ? { cache_write: written } : {}),
      ...(reasoning !== undefined ? { reasoning } : {}),
    };
  }
  return undefined;
}
