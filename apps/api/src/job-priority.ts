import type { Lane } from '@gateway/contracts';
import { lanePriorities, type LaneQueues, type LaneRequest, type RedisClient } from '@gateway/queue';

/** What kind of work a request makes, i.e. its lane: interactive calls are answered while their caller waits. */
export type WorkKind = Lane;

/**
 * The BullMQ priority of each request of a job or batch lane (same order) in that lane's own queue, tenants taking
 * turns within each band of the caller's `priority` (libs/queue/src/lanes.ts): one script for them all. Interactive
 * work has none (its queue, `chat`, serves it in order), and a `priority` asked on an interactive route is ignored
 * (every call there is already as urgent as can be).
 * `redis` is a connection to the queue's Redis (the script touches only the queue's slot).
 */
export async function lanePrioritiesFor(
  redis: RedisClient,
  queues: Pick<LaneQueues, 'lanes'>,
  lane: WorkKind,
  requests: readonly LaneRequest[],
): Promise<(number | undefined)[]> {
  if (lane === 'interactive') return requests.map(() => undefined);
  return lanePriorities(redis, queues.lanes[lane], lane, requests);
}
