import type { Config } from '@gateway/config';
import { definitionOf } from '@gateway/providers';
import type { Logger } from '@gateway/observability';
import { limitsPrefix, type RedisClient } from '@gateway/queue';
import { fetchOpenRouterPrices } from './openrouter-prices';
import { createPriceBook, type PriceBook } from './price-book';
import { createPriceRefresher, type PriceRefresher } from './price-refresh';
import { loadPricingFile } from './pricing';

/** The longest a fetch of OpenRouter's models list may take. */
const MODELS_FETCH_TIMEOUT_MS = 10_000;

/**
 * The price book and its OpenRouter refresher as every app builds them: LLM_PRICING_FILE (throws ConfigError
 * when malformed), the catalogue, the built-in table, and OpenRouter's prices shared in Redis. This process
 * takes its turn fetching them only when OpenRouter is one of its providers and PRICING_REFRESH_MS is not 0;
 * it reads them either way. Call `refresher.start()` once Redis may answer.
 */
export function createPricingFromConfig(
  redis: RedisClient,
  config: Pick<Config, 'pricing' | 'queue' | 'llm' | 'providers'>,
  options: { instanceId: string; logger?: Pick<Logger, 'info' | 'warn' | 'debug'> },
): { book: PriceBook; refresher: PriceRefresher } {
  const book = createPriceBook({ file: config.pricing.file === undefined ? undefined : loadPricingFile(config.pricing.file) });
  // The models endpoint lists the prices of the providers whose definitions say so (OpenRouter's).
  const usesOpenRouter = [config.llm.provider, ...config.llm.fallbacks].some((provider) => {
    const { prices } = definitionOf(provider);
    return prices.kind === 'catalogue' && prices.endpoint;
  });
  const { baseUrl, apiKey } = config.providers.openrouter;
  const fetches = usesOpenRouter && config.pricing.refreshMs > 0;
  const refresher = createPriceRefresher({
    redis,
    prefix: limitsPrefix(config),
    book,
    fetchPrices: fetches ? () => fetchOpenRouterPrices({ baseUrl, apiKey, timeoutMs: MODELS_FETCH_TIMEOUT_MS }) : undefined,
    // Not fetching: still look for what other instances fetched, once a minute.
    refreshMs: config.pricing.refreshMs > 0 ? config.pricing.refreshMs : 60_000,
    instanceId: options.instanceId,
    logger: options.logger,
  });
  return { book, refresher };
}
