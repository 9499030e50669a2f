import { Router } from 'express';
import type { LanesView } from '@gateway/contracts';
import { readLaneBacklog, readLaneOldest, type CallbackQueue, type LaneQueues, type RedisClient } from '@gateway/queue';
import { bullBoardPath } from './bull-board';

const states = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

/**
 * `GET /admin/lanes` (behind the admin token): jobs waiting in each lane and the age of its oldest (what
 * `gateway_lane_jobs` and `gateway_lane_oldest_job_age_seconds` report), the tenants furthest behind, and each
 * queue's jobs by state (the three lanes' queues and the callbacks'), read from Redis at each call.
 */
export function lanesRoutes(deps: { redis: RedisClient; queue: Pick<LaneQueues, 'lanes' | 'all'>; callbacks: CallbackQueue }): Router {
  const router = Router();
  router.get('/admin/lanes', async (_req, res) => {
    const [backlog, oldest, laneCounts, callbacks] = await Promise.all([
      readLaneBacklog(deps.redis, deps.queue.lanes),
      readLaneOldest(deps.redis, deps.queue.lanes),
      Promise.all(deps.queue.all.map(async (queue) => [queue.name, await queue.getJobCounts(...states)] as const)),
      deps.callbacks.getJobCounts(...states),
    ]);
    const view: LanesView = {
      object: 'queue.lanes',
      lanes: (['interactive', 'job', 'batch'] as const).map((lane) => ({ lane, waiting: backlog.lanes[lane], oldest_age_seconds: oldest[lane] })),
      tenants: backlog.tenants,
      queues: { ...Object.fromEntries(laneCounts), [deps.callbacks.name]: callbacks },
      bull_board: bullBoardPath,
    };
    res.json(view);
  });
  return router;
}
