import { WaitingError } from 'bullmq';
import type { ChatJob } from '@gateway/queue';

/**
 * Lets a stopping worker give its unfinished jobs back to the queue instead of failing them: past the
 * shutdown bound the worker aborts its calls, and a job aborted that way is moved back to waiting for
 * another worker (not failed, not reported to the caller, so it runs again exactly once).
 */
export function createHandBack() {
  let handingBack = false;
  return {
    /** From now on, aborted jobs go back to the queue. */
    start(): void {
      handingBack = true;
    },
    isHandingBack: (): boolean => handingBack,
    /** Moves the job back to waiting and returns the error that tells BullMQ so; undefined when not stopping. */
    async handBack(job: ChatJob, token: string | undefined): Promise<WaitingError | undefined> {
      if (!handingBack || !token) return undefined;
      await job.moveToWait(token);
      return new WaitingError();
    },
  };
}

export type HandBack = ReturnType<typeof createHandBack>;
