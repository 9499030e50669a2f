import type { Lane } from '@gateway/contracts';
import type { ChatQueue } from './chat-queue';
import { queueKeys } from './keys';
import { laneLayout, laneRange } from './lanes';
import type { RedisClient } from './redis-connection';

/** Jobs waiting per lane, and the tenants with the largest backlog in each prioritized lane. */
export interface LaneBacklog {
  lanes: Record<Lane, number>;
  /** Per lane, the `top` tenants by backlog (rounds still ahead of them), largest first; the rest summed as `other`. */
  tenants: Array<{ lane: Lane; tenant: string; backlog: number }>;
}

/** Tenants read per lane at most (the backlog zset holds only tenants with work waiting). */
const TENANTS_READ = 500;
const SCALE = 2 ** 32;

/** The lanes' queues (`chat`, `chat-job`, `chat-batch`), as the backlog reads them. */
export type LaneQueueKeys = Readonly<Record<Lane, Pick<ChatQueue, 'keys' | 'qualifiedName'>>>;

/**
 * Reads the lanes' depth and the tenants' backlogs at scrape time: each lane's queue's waiting jobs (its wait list
 * and its prioritized set: in `chat`, the job and batch work of API instances from before the lane queues counts as
 * interactive, as the `chat` consumer runs it), and each prioritized lane's tenants zset against its bands' current
 * rounds. A tenant's backlog is the rounds between its band's current round and its last one: its requests still
 * waiting when they were given consecutive rounds (the usual case).
 */
export async function readLaneBacklog(redis: RedisClient, queues: LaneQueueKeys, top = 10): Promise<LaneBacklog> {
  const depth = async (queue: Pick<ChatQueue, 'keys'>) => (await redis.llen(queue.keys['wait']!)) + (await redis.zcard(queue.keys['prioritized']!));
  const lanes: Record<Lane, number> = { interactive: await depth(queues.interactive), job: 0, batch: 0 };
  const tenants: LaneBacklog['tenants'] = [];
  const range = laneRange();
  for (const lane of ['job', 'batch'] as const) {
    const queue = queues[lane];
    const prioritized = queue.keys['prioritized']!;
    lanes[lane] = await depth(queue);
    const members = await redis.zrevrange(queueKeys.laneTenants(queue.qualifiedName, lane), 0, TENANTS_READ - 1, 'WITHSCORES');
    if (members.length === 0) continue;
    const currentOf = new Map<number, number | undefined>();
    const byTenant = new Map<string, number>();
    for (let index = 0; index < members.length; index += 2) {
      const member = members[index]!;
      const separator = member.indexOf(':');
      const band = Number(member.slice(0, separator));
      if (!currentOf.has(band)) {
        const low = range.low + band * laneLayout.roundsPerBand;
        const head = await redis.zrangebyscore(
          prioritized,
          (low * SCALE).toFixed(0),
          `(${((low + laneLayout.roundsPerBand) * SCALE).toFixed(0)}`,
          'WITHSCORES',
          'LIMIT',
          0,
          1,
        );
        currentOf.set(band, head[1] === undefined ? undefined : Math.floor(Number(head[1]) / SCALE) - low);
      }
      const current = currentOf.get(band);
      if (current === undefined) continue;
      const backlog = Number(members[index + 1]) - band * laneLayout.roundsPerBand - current + 1;
      if (backlog <= 0) continue;
      const tenant = member.slice(separator + 1);
      byTenant.set(tenant, (byTenant.get(tenant) ?? 0) + backlog);
    }
    const ranked = [...byTenant.entries()].sort((a, b) => b[1] - a[1]);
    for (const [tenant, backlog] of ranked.slice(0, top)) tenants.push({ lane, tenant, backlog });
    const rest = ranked.slice(top).reduce((sum, [, backlog]) => sum + backlog, 0);
    if (rest > 0) tenants.push({ lane, tenant: 'other', backlog: rest });
  }
  return { lanes, tenants };
}
