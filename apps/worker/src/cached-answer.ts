import type { ChatJobResult, GatewayJobData } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import type { RedisClient } from '@gateway/queue';

/**
 * Fills the response-cache entry a job was made for (`response_cache`: its request opted in and missed) with its
 * answer, and clears the request's in-flight mark: only here, where a job completes with a whole answer (errors,
 * cancelled and cut streams fail instead and fill nothing). Written at once beside the settlement, on the same
 * connection: no round trip of its own. Never rejects (a failure is logged: the next identical request misses).
 */
export function storeCachedAnswer(redis: RedisClient, data: GatewayJobData, result: ChatJobResult, log: Logger): Promise<void> {
  const entry = data.response_cache;
  if (entry === undefined) return Promise.resolve();
  return redis
    .multi()
    .set(entry.key, JSON.stringify(result), 'EX', entry.ttl)
    .del(entry.inflight)
    .exec()
    .then(
      () => undefined,
      (error: unknown) => log.warn({ err: error }, 'could not store the answer in the response cache'),
    );
}
