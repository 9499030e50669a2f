import { DelayedError, type Processor } from 'bullmq';
import { laneOf, type GatewayJobData, type ChatJobResult } from '@gateway/contracts';
import type { ChatJob } from '@gateway/queue';

/** How often a reserve slot that gave a job back looks whether an interactive job waits. */
export const RESERVE_LOOK_MS = 50;
/** The longest a reserve slot waits between two fetches when no interactive job shows up (then it fetches anyway). */
export const RESERVE_IDLE_MS = 2000;

export interface ReserveOptions {
  /** Whether an interactive job waits in the queue (BullMQ's wait list, which every fetch serves first). */
  interactiveWaiting: () => Promise<boolean>;
  lookMs?: number;
  idleMs?: number;
}

/**
 * The processor of a worker's interactive reserve: a second BullMQ consumer of the chat queue with a few slots.
 * BullMQ hands it the queue's first job like to any consumer; an interactive one (the wait list comes first) runs
 * here at once, however busy the main slots are with batch calls. A job of a lower lane is given back at once
 * (delayed until now: the next fetch puts it back with its priority, so it keeps its turn), and the slot fetches
 * again only once an interactive job waits (looking every `lookMs`), or after `idleMs`. Fetching again at once
 * would take the same job back, first in its lane as it is: it then bounced between the reserve and the queue
 * (seen 40–118 times, for seconds) while the main slots, fetching only when one frees, took the jobs behind it.
 * So an interactive call waits at most about `lookMs` for a slot, whatever WORKER_CONCURRENCY and however long
 * the batch calls, and a lower lane's job is delayed by the reserve at most once per `idleMs`.
 */
export function interactiveReserve(processor: Processor<GatewayJobData, ChatJobResult>, options: ReserveOptions): Processor<GatewayJobData, ChatJobResult> {
  const lookMs = options.lookMs ?? RESERVE_LOOK_MS;
  const idleMs = options.idleMs ?? RESERVE_IDLE_MS;
  return async (job: ChatJob, token?: string, signal?: AbortSignal) => {
    if (laneOf(job.data.lane, job.data.reply_to) === 'interactive') return processor(job, token, signal);
    await job.moveToDelayed(Date.now(), token);
    const until = Date.now() + idleMs;
    while (!signal?.aborted && Date.now() < until) {
      const waiting = await options.interactiveWaiting().catch(() => true);
      if (waiting) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, lookMs);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
    throw new DelayedError();
  };
}
