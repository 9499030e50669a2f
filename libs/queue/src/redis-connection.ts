import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '@gateway/config';

/**
 * What a connection is for:
 * - `command`: requests answered in time or failing fast (API producer, health, limits): no offline queue, a command timeout.
 * - `blocking`: BullMQ workers and subscribers: retries forever, as BullMQ requires.
 * - `bulk`: like `command`, but with a long command timeout for one-round-trip bulk work (a 10,000-job batch is
 *   one MULTI; reading its jobs one pipeline), which a busy Redis may take seconds to answer.
 */
export type RedisRole = 'command' | 'blocking' | 'bulk';

export type RedisClient = Redis | Cluster;

function roleOptions(role: RedisRole): RedisOptions {
  const reconnect: RedisOptions = {
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  };
  if (role === 'command' || role === 'bulk') {
    return { ...reconnect, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: role === 'bulk' ? 120_000 : 5000, connectTimeout: 2000 };
  }
  return { ...reconnect, maxRetriesPerRequest: null, enableReadyCheck: true };
}

/** Parses host:port pairs of REDIS_CLUSTER_NODES. */
export function parseClusterNodes(nodes: readonly string[]): { host: string; port: number }[] {
  return nodes.map((node) => {
    const index = node.lastIndexOf(':');
    const host = index > 0 ? node.slice(0, index) : node;
    const port = index > 0 ? Number(node.slice(index + 1)) : 6379;
    return { host, port };
  });
}

/**
 * A Redis (or Redis Cluster) connection for the given role. `autoPipelining`: the commands sent within one turn of
 * the event loop go out in one write (ioredis's auto-pipelining); only for a connection of our own commands, never
 * one BullMQ uses.
 */
export function createRedisConnection(
  config: Pick<Config, 'redis'>,
  role: RedisRole,
  connectionName?: string,
  extra: { autoPipelining?: boolean } = {},
): RedisClient {
  const options: RedisOptions = { ...roleOptions(role), ...(connectionName ? { connectionName } : {}) };
  const enableAutoPipelining = extra.autoPipelining === true;
  if (config.redis.clusterNodes.length > 0) {
    return new Cluster(parseClusterNodes(config.redis.clusterNodes), {
      redisOptions: options,
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      clusterRetryStrategy: options.retryStrategy,
      enableAutoPipelining,
    });
  }
  return new Redis(config.redis.url, { ...options, enableAutoPipelining });
}

/** Resolves once the connection is ready, or rejects after timeoutMs. */
export function waitForReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/**
 * Runs clean-up steps that talk to Redis (unsubscribe, QUIT, closing a queue) but gives up on them after `ms`:
 * on a connection that queues commands while Redis is down, they would otherwise wait for a Redis that may never
 * come back, and hold a stopping process.
 */
export async function settleWithin(ms: number, ...steps: (() => Promise<unknown>)[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(steps.map((step) => step())), deadline]);
  clearTimeout(timer);
}
