import { calcPrice } from '@pydantic/genai-prices';
import type { ProviderId } from '@gateway/contracts';
import type { ModelPrice } from './pricing';

/** The catalogue's provider ids of ours (the free providers need no price). */
const catalogueProviders: Partial<Record<ProviderId, string>> = { openrouter: 'openrouter', openai: 'openai', anthropic: 'anthropic' };

/** A catalogue price field: a number, or tiered prices (by prompt length) whose base tier is taken. */
function usdPerMillion(value: unknown): number | undefined {
  const number = typeof value === 'object' && value !== null && 'base' in value ? (value as { base: unknown }).base : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= 0 ? number : undefined;
}

/**
 * A model's price in @pydantic/genai-prices (bundled data; nothing is fetched): prompt, completion, cache-read and
 * reasoning prices in USD per million tokens, at today's date. Tiered prices (Anthropic above 200k prompt tokens)
 * take their base tier. Undefined when the catalogue does not know the model, also under its bare name
 * (`openai/gpt-4o` → `gpt-4o` on OpenAI).
 */
export function cataloguePrice(provider: ProviderId, model: string): ModelPrice | undefined {
  const providerId = catalogueProviders[provider];
  if (providerId === undefined) return undefined;
  const names = model.includes('/') && provider !== 'openrouter' ? [model, model.slice(model.lastIndexOf('/') + 1)] : [model];
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
    const completion = usdPerMillion(prices['output_mtok']);
    if (prompt === undefined || completion === undefined) continue;
    const cached = usdPerMillion(prices['cache_read_mtok']);
    const reasoning = usdPerMillion(prices['output_reasoning_mtok']);
    return { prompt, completion, ...(cached !== undefined ? { cached } : {}), ...(reasoning !== undefined ? { reasoning } : {}) };
  }
  return undefined;
}
