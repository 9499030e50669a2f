import { UnrecoverableError, type Processor } from 'bullmq';
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

const missingLock = /^Missing lock for job (\S+)\. (\w+)/;

/**
 * A BullMQ worker's 'error': a job's end that Redis refused because the run no longer held the job's lock ("Missing
 * lock for job …": it lapsed, and the stalled check gave the job to another run, which finishes and settles it) is
 * expected after a lost lock and logged as a warning naming the job; anything else is an error.
 */
export function logWorkerError(logger: { warn(fields: object, message: string): void; error(fields: object, message: string): void }, error: Error): void {
  const lost = missingLock.exec(error.message);
  if (lost) logger.warn({ jobId: lost[1], command: lost[2] }, 'a run ended after its job lock was lost: another run finishes the job');
  else logger.error({ err: error }, 'worker error');
}

/** The part of a BullMQ job a run's lock needs. */
export interface LockedJob {
  id?: string | undefined;
  /** When BullMQ took the job for this run (Date.now() ms): its lock was set then, with the lock's full duration. */
  processedOn?: number | undefined;
  extendLock(token: string, duration: number): Promise<number>;
}

interface Run {
  job: LockedJob;
  token: string;
  controller: AbortController;
  /** performance.now() when the last renewal Redis took was sent (the run's start before the first). */
  renewedAt: number;
  /** A renewal of this run is on its way (the next round leaves it be). */
  renewing: boolean;
}

/**
 * The job locks of a worker process, renewed per run rather than per job id. BullMQ's own renewal keys its runs by
 * job id: when a job's lock lapsed (Redis unreachable longer than the lock) and the same process took the job again,
 * the stale run's end stopped the new run's renewal (which then lapsed too: "job stalled more than allowable limit"),
 * a cancel reached only one of the two, and the stale run went on calling the provider. Here every run renews its
 * own token; a renewal Redis refuses (the lock is another's, or gone) aborts that run's call with a LockLostError,
 * and a cancel aborts every run of the job. The chat workers run with BullMQ's renewal off (skipLockRenewal).
 *
 * Renewals go out every quarter of the lock's duration, each run's on its own: a run whose renewal is still on its
 * way (a busy connection, an event loop saturated by thousands of streams) is left for the next round, the others
 * are renewed meanwhile (a round never waits for the one before). A renewal sent later than half the lock's
 * duration after the previous one is logged: the lock came close to lapsing.
 */
export function createRunLocks(options: { lockDurationMs: number; log?: Logger }) {
  const { lockDurationMs } = options;
  const runs = new Map<string, Set<Run>>();
  let timer: NodeJS.Timeout | undefined;

  const renewOne = async (run: Run): Promise<void> => {
    run.renewing = true;
    const sentAt = performance.now();
    try {
      // A renewal that cannot reach Redis says nothing: the lock may still hold, the next round asks again.
      const extended = await run.job.extendLock(run.token, lockDurationMs).catch(() => undefined);
      if (extended === 0 && !run.controller.signal.aborted) {
        options.log?.warn({ jobId: run.job.id, sinceRenewalMs: Math.round(sentAt - run.renewedAt) }, 'job lock lost, call aborted');
        run.controller.abort(new LockLostError(run.job.id ?? ''));
        return;
      }
      if (extended === 1) {
        const sinceMs = sentAt - run.renewedAt;
        if (sinceMs > lockDurationMs / 2)
          options.log?.warn({ jobId: run.job.id, sinceRenewalMs: Math.round(sinceMs), lockDurationMs }, 'job lock renewed late');
        run.renewedAt = sentAt;
      }
    } finally {
      run.renewing = false;
    }
  };

  const renew = (): void => {
    for (const set of runs.values()) for (const run of set) if (!run.renewing) void renewOne(run);
  };

  const track = (jobId: string, run: Run) => {
    const set = runs.get(jobId) ?? new Set<Run>();
    set.add(run);
    runs.set(jobId, set);
    timer ??= setInterval(renew, Math.max(25, lockDurationMs / 4));
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
      // The lock was set when BullMQ took the job, which a saturated worker may have done long before it starts it.
      const heldMs = job.processedOn === undefined ? 0 : Math.max(0, Date.now() - job.processedOn);
      const run: Run = { job, token, controller, renewedAt: performance.now() - heldMs, renewing: false };
      const follow = () => controller.abort(outer?.reason);
      if (outer?.aborted) follow();
      outer?.addEventListener('abort', follow, { once: true });
      track(jobId, run);
      try {
        // Taken a while ago (more than a round of renewals): renewed before the run begins, and never begun when the
        // lock lapsed meanwhile (the stalled check may have given the job to another run already).
        if (heldMs > lockDurationMs / 4) await renewOne(run);
        if (isLockLost(controller.signal)) throw new UnrecoverableError((controller.signal.reason as Error).message);
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
