/**
 * Which of an instance's waiting jobs are still being enqueued. A waiter or stream registers before its job is
 * enqueued (so no reply can arrive unheard), which means a sweep after a resubscribe can meet a job that is not in
 * Redis yet: reading it as lost would fail a call whose job is about to run. The sweep skips such a job and marks it;
 * when its enqueue returns, the job is looked up then, since a reply sent while the channel was down is gone.
 * An entry lives while its enqueue runs: `enqueuing` before it, then `enqueued` or `forget` when it returns.
 */
export function createEnqueueTracker(lookUpLater: (jobId: string) => void) {
  /** Job id → whether a sweep passed it while it was being enqueued. */
  const enqueuing = new Map<string, boolean>();
  return {
    /** The job is registered and its enqueue is about to start. */
    enqueuing(jobId: string): void {
      enqueuing.set(jobId, false);
    },
    /** The job is in Redis: it is looked up now if a sweep skipped it. */
    enqueued(jobId: string): void {
      const swept = enqueuing.get(jobId);
      enqueuing.delete(jobId);
      if (swept) lookUpLater(jobId);
    },
    /** For a sweep: true when the job can be looked up now; false (and marked) while it is still being enqueued. */
    sweepable(jobId: string): boolean {
      if (!enqueuing.has(jobId)) return true;
      enqueuing.set(jobId, true);
      return false;
    },
    forget(jobId: string): void {
      enqueuing.delete(jobId);
    },
  };
}
