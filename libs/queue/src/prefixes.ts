import type { Config } from '@gateway/config';

declare const prefixKind: unique symbol;

/**
 * The prefix of BullMQ's keys and of every key that lives in a queue's slot (streams, batches, breakers, reply
 * and cancel channels): `QUEUE_PREFIX` wrapped as `{gw}` on a cluster, so all of them share one slot.
 */
export type QueuePrefix = string & { readonly [prefixKind]: 'queue' };

/**
 * `QUEUE_PREFIX` as written, for keys that carry their own hash tags (`{spend}`, `{pace:<provider>}`, `{keys}`):
 * limits, budgets, pacing, prices and the key store. Under a `QueuePrefix` their data would move to other keys
 * than the other processes read; a plain prefix under queue keys splits a script's keys across slots. Both only
 * on a cluster, where one prefix is not the other: hence two types.
 */
export type LimitsPrefix = string & { readonly [prefixKind]: 'limits' };

/** A queue prefix used as written: tests, tools. On a cluster it must carry its own `{…}` hash tag. */
export const queuePrefixOf = (prefix: string): QueuePrefix => prefix as QueuePrefix;

/** A limits prefix used as written: tests, tools. */
export const limitsPrefixOf = (prefix: string): LimitsPrefix => prefix as LimitsPrefix;

/** BullMQ needs every key of a queue in one cluster slot: a `{...}` hash tag in the prefix. */
export function bullPrefix(config: Pick<Config, 'redis' | 'queue'>): QueuePrefix {
  const prefix = config.queue.prefix;
  if (config.redis.clusterNodes.length > 0 && !/\{[^}]+\}/.test(prefix)) return queuePrefixOf(`{${prefix}}`);
  return queuePrefixOf(prefix);
}

/** The plain prefix, under which the limits, pacing and key store build their own hash tags. */
export function limitsPrefix(config: Pick<Config, 'queue'>): LimitsPrefix {
  return limitsPrefixOf(config.queue.prefix);
}
