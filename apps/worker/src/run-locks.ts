import type { Processor } from 'bullmq';
import type { Logger } from '@gateway/observability';

/** The abort reason of a run whose job lock could not be renewed: the job is (or will be) run by another. */
export class LockLostError extends Error {
  constructor(jobId: string) {
    super(`the lock of job ${jobId} was lost: another run holds the job`);
    this.name = 'LockLostError';
  }
}

/** True when the run was aborted because its job lock was lost. */
export const isLockLost = (signal: AbortSignal): boolean => signal.aborted && signal.reason instanceof LockLostError;

/** The part of a BullMQ job a run's lock needs. */
export interface LockedJob {
  id?: string | undefined;
  extendLock(token: string, duration: number): Promise<number>;
}

interface Run {
  job: LockedJob;
  token: string;
  controller: AbortController;
}

/**
 * The job locks of a worker process, renewed per run rather than per job id. BullMQ's own renewal keys its runs by
 * job id: when a job's lock lapsed (Redis unreachable longer than the lock) and the same process took the job again,
 * the stale run's end stopped the new run's renewal (which then lapsed too: "job stalled more than allowable limit"),
 * a cancel reached only one of the two, and the stale run went on calling the provider. Here every run renews its
 * own token; a renewal Redis refuses (the lock is another's, or gone) aborts that run's call with a LockLostError,
 * and a cancel aborts every run of the job. The chat workers run with BullMQ's renewal off (skipLockRenewal).
 */
export function createRunLocks(options: { lockDurationMs: number; log?: Logger }) {
  const { lockDurationMs } = options;
  const runs = new Map<string, Set<Run>>();
  let timer: NodeJS.Timeout | undefined;
  let renewing = false;

  const renew = async (): Promise<void> => {
    if (renewing) return;
    renewing = true;
    try {
      const all = [...runs.values()].flatMap((set) => [...set]);
      await Promise.all(
        all.map(async (run) => {
          // A renewal that cannot reach Redis says nothing: the lock may still hold, the next round asks again.
          const extended = await run.job.extendLock(run.token, lockDurationMs).catch(() => undefined);
          if (extended === 0 && !run.controller.signal.aborted) {
            options.log?.warn({ jobId: run.job.id }, 'job lock lost, call aborted');
            run.controller.abort(new LockLostError(run.job.id ?? ''));
          }
        }),
      );
    } finally {
      renewing = false;
    }
  };

  const track = (jobId: string, run: Run) => {
    const set = runs.get(jobId) ?? new Set<Run>();
    set.add(run);
    runs.set(jobId, set);
    timer ??= setInterval(() => void renew(), Math.max(50, lockDurationMs / 2));
  };
  const untrack = (jobId: string, run: Run) => {
    const set = runs.get(jobId);
    set?.delete(run);
    if (set?.size === 0) runs.delete(jobId);
    if (runs.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return {
    /** Runs `processor` for one run of a job, its lock renewed meanwhile; its signal also follows `outer` (BullMQ's). */
    async run<T>(job: LockedJob, token: string | undefined, outer: AbortSignal | undefined, processor: (signal: AbortSignal) => Promise<T>): Promise<T> {
      const controller = new AbortController();
      if (!job.id || token === undefined) return processor(outer ?? controller.signal);
      const jobId = job.id;
      const run: Run = { job, token, controller };
      const follow = () => controller.abort(outer?.reason);
      if (outer?.aborted) follow();
      outer?.addEventListener('abort', follow, { once: true });
      track(jobId, run);
      try {
        return await processor(controller.signal);
      } finally {
        outer?.removeEventListener('abort', follow);
        untrack(jobId, run);
      }
    },
    /** Aborts every run of the job in this process; false when none runs here. */
    cancelJob(jobId: string, reason?: string): boolean {
      const set = runs.get(jobId);
      if (!set || set.size === 0) return false;
      for (const run of set) run.controller.abort(reason);
      return true;
    },
    cancelAllJobs(reason?: string): void {
      for (const set of runs.values()) for (const run of set) run.controller.abort(reason);
    },
    /** Runs in this process (all jobs). */
    size: (): number => [...runs.values()].reduce((sum, set) => sum + set.size, 0),
    close(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export type RunLocks = ReturnType<typeof createRunLocks>;

/** A BullMQ processor whose runs hold their job lock through `locks` (the worker is made with its own renewal off). */
export function withRunLocks<D, R>(locks: RunLocks, processor: Processor<D, R>): Processor<D, R> {
  return (job, token, signal) => locks.run(job, token, signal, (runSignal) => processor(job, token, runSignal));
}
