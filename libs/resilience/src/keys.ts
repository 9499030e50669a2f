import type { QueuePrefix } from '@gateway/queue';

/**
 * Every Redis key of the resilience lib, under the queue prefix. Each script touches one key, so cluster
 * mode needs no shared hash tag (a `{tag}` in the prefix keeps them with the queue's slot anyway).
 */
export const resilienceKeys = {
  /** Hash: state, failures (consecutive), opened_at, trial_until (ms, Redis time). */
  breaker: (prefix: QueuePrefix, provider: string): string => `${prefix}:breaker:${provider}`,
  /** Pub/sub channel where the record script announces a circuit becoming clean or not (`<provider> <0|1> <version>`). */
  breakerChannel: (prefix: QueuePrefix): string => `${prefix}:breaker:changes`,
  /** Hash of counters shared by every instance: `<provider>:<counter>`. */
  providerStats: (prefix: QueuePrefix): string => `${prefix}:provider-stats`,
  /** List of a deployment's (a provider's implicit one: the provider's) last failures, newest first, JSON each. */
  providerErrors: (prefix: QueuePrefix, deployment: string): string => `${prefix}:provider-errors:${deployment}`,
};
