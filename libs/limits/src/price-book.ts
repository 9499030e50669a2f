import type { ProviderId } from '@gateway/contracts';
import { cataloguePrice } from './catalogue-prices';
import { definitionOf } from '@gateway/providers';

/** The provider whose models endpoint the prices came from (OpenRouter's): its own figures come first. */
function listsItsPrices(provider: ProviderId): boolean {
  const { prices } = definitionOf(provider);
  return prices.kind === 'catalogue' && prices.endpoint;
}
import { builtInPricing, findPrice, type ModelPrice, type PriceSource, type PricingTable } from './pricing';

/** Where a model's price came from, in the order they are asked. */
export type PriceOrigin = 'file' | 'openrouter' | 'catalogue' | 'built-in' | 'default';

export interface PriceBookOptions {
  /** LLM_PRICING_FILE's table: over every other source (its `*` row replaces the built-in one). */
  file?: PricingTable | undefined;
  /** The maintained catalogue (default @pydantic/genai-prices). */
  catalogue?: (provider: ProviderId, model: string) => ModelPrice | undefined;
  /** The hand-kept table of last resort (default the built-in one). */
  fallback?: PricingTable;
}

/** Lookups remembered per process (a catalogue lookup takes ~0.4 ms); cleared when this many names were seen. */
const MEMO_LIMIT = 5000;

/**
 * Every price the gateway knows, asked in this order: the file, OpenRouter's models endpoint (for calls served
 * by OpenRouter), the catalogue, the built-in rows, the endpoint again (for a model another provider serves
 * that only the endpoint knows, by its vendor/model or bare name), then the `*` row (priced high rather than
 * free). OpenRouter's prices are replaced whole by `setOpenRouter` (the refresher), never emptied.
 */
export function createPriceBook(options: PriceBookOptions = {}) {
  const file = options.file ?? {};
  const catalogue = options.catalogue ?? cataloguePrice;
  const fallback = options.fallback ?? builtInPricing;
  const lastResort = file['*'] ?? fallback['*'] ?? { prompt: 0, completion: 0 };
  let openRouter: PricingTable = {};
  let openRouterFetchedAt: number | undefined;
  const memo = new Map<string, { price: ModelPrice; origin: PriceOrigin }>();

  const resolve = (provider: ProviderId, model: string): { price: ModelPrice; origin: PriceOrigin } => {
    const fromFile = findPrice(file, model);
    if (fromFile) return { price: fromFile, origin: 'file' };
    const fromEndpoint = findPrice(openRouter, model);
    if (fromEndpoint && listsItsPrices(provider)) return { price: fromEndpoint, origin: 'openrouter' };
    const fromCatalogue = catalogue(provider, model);
    if (fromCatalogue) return { price: fromCatalogue, origin: 'catalogue' };
    const fromTable = findPrice(fallback, model);
    if (fromTable) return { price: fromTable, origin: 'built-in' };
    if (fromEndpoint) return { price: fromEndpoint, origin: 'openrouter' };
    return { price: lastResort, origin: 'default' };
  };

  const book = {
    /** A model's price and where it came from. */
    lookup(provider: ProviderId, model: string): { price: ModelPrice; origin: PriceOrigin } {
      const key = `${provider}\n${model}`;
      const known = memo.get(key);
      if (known) return known;
      const found = resolve(provider, model);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(key, found);
      return found;
    },
    priceOf(provider: ProviderId, model: string): ModelPrice {
      return book.lookup(provider, model).price;
    },
    /** Takes OpenRouter's prices (as fetched at `fetchedAt`); an empty table is ignored, so good prices stay. */
    setOpenRouter(table: PricingTable, fetchedAt: number): boolean {
      if (Object.keys(table).length === 0) return false;
      openRouter = table;
      openRouterFetchedAt = fetchedAt;
      memo.clear();
      return true;
    },
    /** When the OpenRouter prices in use were fetched (Unix ms); undefined: none yet, the other sources price alone. */
    openRouterFetchedAt: (): number | undefined => openRouterFetchedAt,
    /** How many models OpenRouter's prices name. */
    openRouterModels: (): number => Object.keys(openRouter).length,
  };
  return book satisfies PriceSource;
}

export type PriceBook = ReturnType<typeof createPriceBook>;
