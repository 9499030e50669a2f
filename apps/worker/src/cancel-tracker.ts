export interface CancellableWorker {
  cancelJob(jobId: string, reason?: string): boolean;
}

/**
 * Turns cancel requests into aborts. A request for a job this worker is not running (yet) is remembered for
 * a while, so a job taken between the API's cancel and BullMQ's tracking of it is still cancelled at its start.
 */
export function createCancelTracker(options: { rememberMs?: number; maxRemembered?: number; now?: () => number } = {}) {
  const rememberMs = options.rememberMs ?? 60_000;
  const maxRemembered = options.maxRemembered ?? 10_000;
  const now = options.now ?? Date.now;
  const recent = new Map<string, number>();
  let worker: CancellableWorker | undefined;

  const prune = () => {
    const cutoff = now() - rememberMs;
    for (const [jobId, at] of recent) {
      if (at >= cutoff && recent.size <= maxRemembered) break;
      recent.delete(jobId);
    }
  };

  return {
    attach(target: CancellableWorker): void {
      worker = target;
    },
    /** Aborts the job if this worker runs it; remembers it otherwise. */
    cancel(jobId: string): void {
      if (worker?.cancelJob(jobId, 'cancelled by the client')) return;
      recent.set(jobId, now());
      prune();
    },
    wasCancelled(jobId: string): boolean {
      prune();
      return recent.has(jobId);
    },
  };
}

export type CancelTracker = ReturnType<typeof createCancelTracker>;
