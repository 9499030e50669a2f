import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';

/** Where Bull Board is served (authentication is applied by the app on /admin). */
export const bullBoardPath = '/admin/queues';

/**
 * Bull Board for operators: every queue of the gateway, to watch jobs; read-only (no retry, clean, obliterate or
 * add: actions that would re-run paid jobs or add jobs past admission) unless `readOnly` is false.
 */
export function bullBoardRouter(queues: readonly Queue[], readOnly: boolean): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(bullBoardPath);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: readOnly, allowRetries: !readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'LLM Gateway' } },
  });
  return serverAdapter.getRouter() as Router;
}
