import { providerIdSchema, type ProviderId } from '@gateway/contracts';
import type { QueuePrefix, RedisClient } from '@gateway/queue';
import { resilienceKeys } from './keys';

/** Counters kept per provider, shared by every instance. */
export const providerCounters = ['calls', 'failures', 'failovers', 'skipped'] as const;
export type ProviderCounter = (typeof providerCounters)[number];
export type ProviderCounts = Record<ProviderCounter, number>;

/** Provider counters in one Redis hash (HINCRBY: atomic, no read-then-write). */
export interface ProviderStats {
  increment(provider: ProviderId, counter: ProviderCounter, by?: number): Promise<void>;
  read(): Promise<Record<ProviderId, ProviderCounts>>;
  /** Writes counts still held in memory (buffered stats); a no-op otherwise. */
  flush(): Promise<void>;
}

export interface ProviderStatsOptions {
  /**
   * Hold increments in memory and write them every this many ms, one pipeline for all (a worker's hot path then
   * pays no Redis command per call). The counters only feed /v1/providers, which then lags by up to this long.
   */
  bufferMs?: number;
}

export function createProviderStats(redis: RedisClient, prefix: QueuePrefix, options: ProviderStatsOptions = {}): ProviderStats {
  const key = resilienceKeys.providerStats(prefix);
  const held = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;

  const hold = (field: string, by: number) => held.set(field, (held.get(field) ?? 0) + by);
  const schedule = () => {
    timer ??= setTimeout(() => void flush().catch(() => undefined), options.bufferMs);
    timer.unref();
  };

  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (held.size === 0) return;
    const counts = [...held];
    held.clear();
    const pipeline = redis.pipeline();
    for (const [field, by] of counts) pipeline.hincrby(key, field, by);
    let replies: [Error | null, unknown][] = [];
    try {
      replies = (await pipeline.exec()) ?? [];
    } catch {
      // Redis away: every count is kept for the next flush.
    }
    // Counts Redis did not take go back for the next try: an outage loses none while the process lives.
    counts.forEach(([field, by], index) => {
      if (replies[index]?.[0] !== null || replies[index] === undefined) hold(field, by);
    });
    if (held.size > 0) schedule();
  };

  return {
    async increment(provider, counter, by = 1) {
      if (!options.bufferMs) {
        await redis.hincrby(key, `${provider}:${counter}`, by);
        return;
      }
      hold(`${provider}:${counter}`, by);
      schedule();
    },
    async read() {
      const fields = await redis.hgetall(key);
      const counts = Object.fromEntries(
        providerIdSchema.options.map((provider) => [
          provider,
          Object.fromEntries(providerCounters.map((counter) => [counter, Number(fields[`${provider}:${counter}`] ?? 0)])),
        ]),
      );
      return counts as Record<ProviderId, ProviderCounts>;
    },
    flush,
  };
}
