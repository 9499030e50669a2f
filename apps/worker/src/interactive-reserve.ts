import { DelayedError, type Processor } from 'bullmq';
import type { ChatJobData, ChatJobResult } from '@gateway/contracts';
import type { ChatJob } from '@gateway/queue';
import { laneOfJob } from './chat-processor';

/** How long a reserve slot holds a job of a lower lane before it gives it back and looks again. */
export const RESERVE_LOOK_MS = 50;

/**
 * The processor of a worker's interactive reserve: a second BullMQ consumer of the chat queue with a few slots.
 * BullMQ hands it the queue's first job like to any consumer; an interactive one (the wait list comes first) runs
 * here at once, however busy the main slots are with batch calls. A job of a lower lane is held `RESERVE_LOOK_MS`,
 * then given back to the queue (delayed until now: the next fetch puts it back with its priority, so it keeps its
 * turn) and the slot looks again. So an interactive call waits at most about `RESERVE_LOOK_MS` for a slot, whatever
 * WORKER_CONCURRENCY and however long the batch calls, at the cost of one give-back per slot per look.
 */
export function interactiveReserve(processor: Processor<ChatJobData, ChatJobResult>, lookMs = RESERVE_LOOK_MS): Processor<ChatJobData, ChatJobResult> {
  return async (job: ChatJob, token?: string, signal?: AbortSignal) => {
    if (laneOfJob(job.data) === 'interactive') return processor(job, token, signal);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, lookMs);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  };
}
