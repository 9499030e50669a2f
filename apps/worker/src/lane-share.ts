import type { Lane } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { laneRange, promoteLaneJobs, type PromoteKeys, type RedisClient } from '@gateway/queue';

/** What the minimum-share guard needs. */
export interface LaneShareOptions {
  redis: RedisClient;
  /** The chat queue's keys (see PromoteKeys). */
  queueKeys: PromoteKeys;
  /** The share of this worker's job starts each lane below interactive gets when it has a backlog (LANE_MIN_SHARE). */
  minShare: number;
  /** The length of a window, ms (default 1000). */
  windowMs?: number;
  logger: Logger;
}

/** The lanes below interactive, in the order their share is made up (the job lane first). */
const guardedLanes = ['job', 'batch'] as const;

/**
 * Keeps lanes below interactive from starving: over each window this worker counts the jobs it started, by lane;
 * a lane that got less than `minShare` of them (by its own order) while it has jobs waiting gets the difference
 * moved to the front, into BullMQ's wait list, by fair-share order (promote-lane-jobs script). Promoted jobs
 * count as started by their lane when this worker promotes them, so the share is kept every window rather than
 * every other one, and every worker guarding its own starts guards the sum.
 */
export function createLaneShareGuard(options: LaneShareOptions) {
  const windowMs = options.windowMs ?? 1000;
  let started = 0;
  const natural: Record<(typeof guardedLanes)[number], number> = { job: 0, batch: 0 };
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  const tick = async () => {
    if (running) return;
    running = true;
    const total = started;
    const counts = { ...natural };
    started = 0;
    natural.job = 0;
    natural.batch = 0;
    try {
      for (const lane of guardedLanes) {
        const owed = Math.ceil(total * options.minShare) - counts[lane];
        if (total === 0 || owed <= 0) continue;
        const range = laneRange(lane);
        const promoted = await promoteLaneJobs(options.redis, options.queueKeys, range, owed);
        if (promoted > 0) options.logger.debug({ lane, promoted, started: total }, 'lane jobs promoted for their minimum share');
      }
    } catch (error) {
      options.logger.warn({ err: error }, 'could not promote lane jobs');
    } finally {
      running = false;
    }
  };

  return {
    /** Counts a job this worker started; `promoted`: it came to the front through this guard (any worker's). */
    noteStart(lane: Lane, promoted: boolean): void {
      started += 1;
      if (lane !== 'interactive' && !promoted) natural[lane] += 1;
    },
    start(): void {
      if (options.minShare <= 0 || timer) return;
      timer = setInterval(() => void tick(), windowMs);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export type LaneShareGuard = ReturnType<typeof createLaneShareGuard>;
