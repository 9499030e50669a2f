import type { ProviderId } from '@gateway/contracts';

/**
 * Every Redis key of the resilience lib, under the queue prefix. Each script touches one key, so cluster
 * mode needs no shared hash tag (a `{tag}` in the prefix keeps them with the queue's slot anyway).
 */
export const resilienceKeys = {
  /** Hash: state, failures (consecutive), opened_at, trial_until (ms, Redis time). */
  breaker: (prefix: string, provider: ProviderId): string => `${prefix}:breaker:${provider}`,
  /** Hash of counters shared by every instance: `<provider>:<counter>`. */
  providerStats: (prefix: string): string => `${prefix}:provider-stats`,
};
