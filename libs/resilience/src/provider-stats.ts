import { providerIdSchema, type ProviderId } from '@gateway/contracts';
import type { RedisClient } from '@gateway/queue';
import { resilienceKeys } from './keys';

/** Counters kept per provider, shared by every instance. */
export const providerCounters = ['calls', 'failures', 'failovers', 'skipped'] as const;
export type ProviderCounter = (typeof providerCounters)[number];
export type ProviderCounts = Record<ProviderCounter, number>;

/** Provider counters in one Redis hash (HINCRBY: atomic, no read-then-write). */
export interface ProviderStats {
  increment(provider: ProviderId, counter: ProviderCounter, by?: number): Promise<void>;
  read(): Promise<Record<ProviderId, ProviderCounts>>;
}

export function createProviderStats(redis: RedisClient, prefix: string): ProviderStats {
  const key = resilienceKeys.providerStats(prefix);
  return {
    async increment(provider, counter, by = 1) {
      await redis.hincrby(key, `${provider}:${counter}`, by);
    },
    async read() {
      const fields = await redis.hgetall(key);
      const counts = Object.fromEntries(
        providerIdSchema.options.map((provider) => [provider, Object.fromEntries(providerCounters.map((counter) => [counter, Number(fields[`${provider}:${counter}`] ?? 0)]))]),
      );
      return counts as Record<ProviderId, ProviderCounts>;
    },
  };
}
