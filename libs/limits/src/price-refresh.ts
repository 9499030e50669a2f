import { runLuaScript, type LimitsPrefix, type RedisClient } from '@gateway/queue';
import type { Logger } from '@gateway/observability';
import { limitKeys } from './keys';
import type { PriceBook } from './price-book';
import { modelPriceSchema, type ModelPrice, type PricingTable } from './pricing';
import { scripts } from './scripts';

/** The hash field holding when the prices were fetched (model ids have a vendor and a slash, never this name). */
export const FETCHED_AT_FIELD = '_fetched_at';

export interface PriceRefreshOptions {
  redis: RedisClient;
  /** Key prefix (QUEUE_PREFIX). */
  prefix: LimitsPrefix;
  /** Where the prices read from Redis go. */
  book: Pick<PriceBook, 'setOpenRouter' | 'openRouterFetchedAt'>;
  /** Fetches OpenRouter's prices (throws when it cannot); absent: this process only reads what others fetched. */
  fetchPrices?: (() => Promise<PricingTable>) | undefined;
  /** PRICING_REFRESH_MS: how often the prices are fetched, by one instance of all. */
  refreshMs: number;
  /** This process's id: the lock's holder. */
  instanceId: string;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'> | undefined;
  clock?: () => number;
}

/** How often every instance looks for newer prices in Redis (one HGET), and how soon a failed fetch is tried again. */
export const PRICE_POLL_MAX_MS = 60_000;
/** How often an instance that has no OpenRouter prices yet looks (another instance may be fetching them). */
const PRICE_POLL_UNPRICED_MS = 1000;
/** How long `start` waits for the prices another instance is fetching. */
const START_WAIT_MS = 3000;

/**
 * OpenRouter's prices, fetched by one instance at a time and shared through Redis: every tick, an instance takes
 * the refresh lock if it is free (`SET NX PX refreshMs`: whoever gets it fetches, and nobody else does until it
 * lapses), stores a good answer whole in one hash (replaced in one MULTI), and every instance reads the hash into
 * its price book when its `_fetched_at` changed. A failed fetch (down, error status, garbage, an empty list)
 * changes nothing in Redis: the last prices (or, before any, the other sources) stay in use, and the lock is
 * shortened so the next try comes within a poll interval.
 */
export function createPriceRefresher(options: PriceRefreshOptions) {
  const { redis, prefix, book, logger } = options;
  const now = options.clock ?? Date.now;
  const refreshMs = Math.max(1, Math.round(options.refreshMs));
  const pollMs = Math.min(refreshMs, PRICE_POLL_MAX_MS);
  const hashKey = limitKeys.openRouterPrices(prefix);
  const lockKey = limitKeys.priceRefreshLock(prefix);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
  /** The next round: sooner while this instance has no prices. */
  const schedule = () => {
    if (stopped) return;
    const delay = book.openRouterFetchedAt() === undefined ? Math.min(pollMs, PRICE_POLL_UNPRICED_MS) : pollMs;
    timer = setTimeout(() => void refresher.tick().then(schedule), delay);
    timer.unref();
  };

  /** Fetches and stores the prices when it is this instance's turn; returns whether it fetched. */
  const fetchIfDue = async (): Promise<boolean> => {
    if (!options.fetchPrices) return false;
    const taken = await redis.set(lockKey, options.instanceId, 'PX', refreshMs, 'NX');
    if (taken !== 'OK') return false;
    let table: PricingTable;
    try {
      table = await options.fetchPrices();
    } catch (error) {
      logger?.warn({ err: error, retryMs: pollMs }, 'openrouter prices not refreshed: last prices kept');
      await runLuaScript(redis, scripts.priceLockRetry, [lockKey], [options.instanceId, pollMs]);
      return true;
    }
    const fields = Object.fromEntries(Object.entries(table).map(([model, price]) => [model, JSON.stringify(price)]));
    await redis
      .multi()
      .del(hashKey)
      .hset(hashKey, { ...fields, [FETCHED_AT_FIELD]: String(now()) })
      .exec();
    logger?.info({ models: Object.keys(fields).length }, 'openrouter prices refreshed');
    return true;
  };

  /** Reads the shared prices into the book when they are newer than its own. */
  const readIfNewer = async (): Promise<void> => {
    const stamp = Number(await redis.hget(hashKey, FETCHED_AT_FIELD));
    if (!Number.isFinite(stamp) || stamp <= 0 || stamp === book.openRouterFetchedAt()) return;
    const hash = await redis.hgetall(hashKey);
    const table: Record<string, ModelPrice> = {};
    for (const [model, text] of Object.entries(hash)) {
      if (model === FETCHED_AT_FIELD) continue;
      try {
        const parsed = modelPriceSchema.safeParse(JSON.parse(text));
        if (parsed.success) table[model] = parsed.data;
      } catch {
        // A field that is not a price (written by hand?) is skipped.
      }
    }
    if (book.setOpenRouter(table, stamp)) logger?.debug({ models: Object.keys(table).length, fetchedAt: stamp }, 'openrouter prices loaded');
  };

  const refresher = {
    /** One round: fetch if due, then read. Never throws (Redis down: the prices in memory stay); ticks never overlap. */
    tick(): Promise<void> {
      running ??= (async () => {
        try {
          await fetchIfDue();
          await readIfNewer();
        } catch (error) {
          logger?.warn({ err: error }, 'openrouter prices not read: prices in memory kept');
        } finally {
          running = undefined;
        }
      })();
      return running;
    },
    /**
     * Runs the first round, waiting a little for the prices another instance is fetching right now (the first
     * requests then see them), and then one round every poll interval.
     */
    async start(): Promise<void> {
      await refresher.tick();
      const deadline = now() + START_WAIT_MS;
      while (book.openRouterFetchedAt() === undefined && now() < deadline && !stopped) {
        const holder = await redis.get(lockKey).catch(() => null);
        if (holder === null || holder === options.instanceId) break;
        await sleep(100);
        await refresher.tick();
      }
      if (timer === undefined) schedule();
    },
    /** Stops the rounds (a round under way finishes). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
  return refresher;
}

export type PriceRefresher = ReturnType<typeof createPriceRefresher>;
