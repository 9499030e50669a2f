import type { ProviderId } from '@gateway/contracts';
import type { RedisClient } from '@gateway/queue';
import { limitKeys } from './keys';
import { LimitScriptCode, runScript, scripts } from './scripts';

/** Options of the provider pacer. */
export interface ProviderPacerOptions {
  redis: RedisClient;
  prefix: string;
  /** Requests per minute per provider (PROVIDER_RPM); a provider absent here is only paused after a 429. */
  rpm: Readonly<Partial<Record<ProviderId, number>>>;
  /** Clock in ms; absent: the Redis server's TIME. */
  clock?: () => number;
}

/** Whether a provider may be called now, or how long to wait. */
export type PaceDecision = { go: true } | { go: false; waitMs: number; reason: 'rate' | 'paused' };

/**
 * Paces calls to each provider across every worker: a Redis token bucket per provider refilled at rpm/60 per
 * second with a one-second burst (at least one call), and a pause set after the upstream answered 429.
 */
export function createProviderPacer(options: ProviderPacerOptions) {
  return {
    async acquire(provider: ProviderId): Promise<PaceDecision> {
      const rpm = options.rpm[provider] ?? 0;
      const perSecond = rpm / 60;
      const [code = 0, waitMs = 0] = await runScript(
        options.redis,
        scripts.providerPace,
        [limitKeys.providerBucket(options.prefix, provider), limitKeys.providerPause(options.prefix, provider)],
        [perSecond, Math.max(1, Math.ceil(perSecond)), options.clock ? options.clock() : ''],
      );
      if (code > 0) return { go: true };
      if (code === LimitScriptCode.RateLimited) return { go: false, waitMs, reason: 'rate' };
      if (code === LimitScriptCode.Paused) return { go: false, waitMs, reason: 'paused' };
      throw new Error(`provider pacing refused with code ${code}`);
    },

    /** Pauses every worker's calls to the provider for `ms` (after an upstream 429). A longer pause already set is kept. */
    async pause(provider: ProviderId, ms: number): Promise<void> {
      const key = limitKeys.providerPause(options.prefix, provider);
      const left = await options.redis.pttl(key);
      if (left >= ms) return;
      await options.redis.set(key, '1', 'PX', Math.max(1, Math.round(ms)));
    },
  };
}

export type ProviderPacer = ReturnType<typeof createProviderPacer>;
