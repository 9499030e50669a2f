import type { Lane } from '@gateway/contracts';
import { lanePriorities, type ChatQueue, type LaneRequest, type RedisClient } from '@gateway/queue';

/** What kind of work a request makes, i.e. its lane: interactive calls are answered while their caller waits. */
export type WorkKind = Lane;

/**
 * The BullMQ priority of each request of a job or batch lane (same order), tenants taking turns within each band
 * of the caller's `priority` (libs/queue/src/lanes.ts): one script on the queue's own connection for them all.
 * Interactive work has none: it goes to BullMQ's wait list, served before every prioritized job, and a
 * `priority` asked on an interactive route is ignored (every call there is already as urgent as can be).
 * `redis` is a connection to the queue's Redis (the script touches only the queue's slot).
 */
export async function lanePrioritiesFor(
  redis: RedisClient,
  queue: ChatQueue,
  lane: WorkKind,
  requests: readonly LaneRequest[],
): Promise<(number | undefined)[]> {
  if (lane === 'interactive') return requests.map(() => undefined);
  return lanePriorities(redis, queue, lane, requests);
}
