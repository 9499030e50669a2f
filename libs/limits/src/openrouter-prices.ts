import { z } from 'zod';
import type { ModelPrice, PricingTable } from './pricing';

/** A price on OpenRouter's models endpoint: USD per token as a decimal string ("0.000003"); "-1" marks a router without a price. */
const perTokenSchema = z.union([z.string(), z.number()]).transform((value, context) => {
  const number = typeof value === 'number' ? value : Number(value.trim() === '' ? Number.NaN : value);
  if (!Number.isFinite(number) || number < 0) {
    context.addIssue({ code: 'custom', message: 'not a price' });
    return z.NEVER;
  }
  return number;
});

/** One model of `GET /api/v1/models`: only the fields read. */
const openRouterModelSchema = z.object({
  id: z.string().min(1).max(256),
  pricing: z.object({
    prompt: perTokenSchema,
    completion: perTokenSchema,
    input_cache_read: perTokenSchema.nullish().catch(undefined),
    input_cache_write: perTokenSchema.nullish().catch(undefined),
    internal_reasoning: perTokenSchema.nullish().catch(undefined),
  }),
});

/** The answer of `GET /api/v1/models`. Models are checked one by one: one bad entry does not spoil the list. */
export const openRouterModelsSchema = z.object({ data: z.array(z.unknown()) });

/** Price per token → per million, rounded away from float noise (0.000003 × 1e6 = 3.0000000000000004). */
const perMillion = (perToken: number) => Math.round(perToken * 1e6 * 1e9) / 1e9;

/**
 * The prices of OpenRouter's models list (USD per million tokens), or why it is not one. Entries without a valid
 * price (OpenRouter's own routers say "-1") are left out; a list with no valid price at all is refused, so an
 * empty or garbled answer never replaces good prices. A cache-read, cache-write or reasoning price of 0 is taken for "not
 * priced apart" (those tokens then cost the plain price), so a missing figure never makes tokens free.
 */
export function parseOpenRouterModels(body: unknown): { table: PricingTable } | { problem: string } {
  const parsed = openRouterModelsSchema.safeParse(body);
  if (!parsed.success) return { problem: 'the answer is not a models list ({"data": [...]})' };
  const table: Record<string, ModelPrice> = {};
  for (const entry of parsed.data.data) {
    const model = openRouterModelSchema.safeParse(entry);
    if (!model.success) continue;
    const { prompt, completion, input_cache_read: cached, input_cache_write: written, internal_reasoning: reasoning } = model.data.pricing;
    table[model.data.id] = {
      prompt: perMillion(prompt),
      completion: perMillion(completion),
      ...(cached ? { cached: perMillion(cached) } : {}),
      ...(written ? { cache_write: perMillion(written) } : {}),
      ...(reasoning ? { reasoning: perMillion(reasoning) } : {}),
    };
  }
  const count = Object.keys(table).length;
  if (count === 0) return { problem: `the models list holds no valid price (${parsed.data.data.length} entries)` };
  return { table };
}

/** How to reach OpenRouter's models endpoint. */
export interface OpenRouterModelsSource {
  /** OPENROUTER_BASE_URL (…/api/v1). */
  baseUrl: string;
  /** Sent when set; the endpoint also answers without one. */
  apiKey?: string | undefined;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * Fetches and parses OpenRouter's prices: its models list, and its embedding models list (`/embeddings/models`, the
 * same shape) merged in when that one answers. Throws with a short reason when the models list cannot be had (down,
 * non-200, garbage); a failed embeddings list only leaves embedding models to the other price sources.
 */
export async function fetchOpenRouterPrices(source: OpenRouterModelsSource): Promise<PricingTable> {
  const [models, embeddingModels] = await Promise.all([
    fetchModelsList(source, 'models'),
    fetchModelsList(source, 'embeddings/models').catch(() => ({}) as PricingTable),
  ]);
  return { ...embeddingModels, ...models };
}

async function fetchModelsList(source: OpenRouterModelsSource, path: string): Promise<PricingTable> {
  const doFetch = source.fetch ?? fetch;
  const response = await doFetch(`${source.baseUrl.replace(/\/+$/, '')}/${path}`, {
    headers: { accept: 'application/json', ...(source.apiKey ? { authorization: `Bearer ${source.apiKey}` } : {}) },
    signal: AbortSignal.timeout(source.timeoutMs),
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`openrouter models endpoint answered ${response.status}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new Error('openrouter models endpoint answered something other than JSON');
  }
  const outcome = parseOpenRouterModels(body);
  if ('problem' in outcome) throw new Error(`openrouter models endpoint: ${outcome.problem}`);
  return outcome.table;
}
