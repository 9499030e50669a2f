import { createRunLocks, isLockLost, LockLostError, logWorkerError, type LockedJob } from './run-locks';

/** A job whose lock renewal answers as Redis would: 1 while the token holds the lock, 0 once another run's, or fails. */
function lockedJob(id: string, holder: { token: string; down?: boolean }): LockedJob {
  return {
    id,
    extendLock: async (token) => {
      if (holder.down) throw new Error('connection is closed');
      return token === holder.token ? 1 : 0;
    },
  };
}

/** Starts a run that waits until its signal aborts, and says why. */
function runUntilAborted(locks: ReturnType<typeof createRunLocks>, job: LockedJob, token: string) {
  let signal: AbortSignal | undefined;
  const ended = locks.run(job, token, undefined, (runSignal) => {
    signal = runSignal;
    return new Promise<unknown>((resolve) => runSignal.addEventListener('abort', () => resolve(runSignal.reason), { once: true }));
  });
  return { ended, signal: () => signal! };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('run locks', () => {
  it('a cancel reaches every run of the job in this process (a stale one too), and no other job', async () => {
    const locks = createRunLocks({ lockDurationMs: 60_000 });
    const holder = { token: 'second' };
    const stale = runUntilAborted(locks, lockedJob('job-1', holder), 'first');
    const current = runUntilAborted(locks, lockedJob('job-1', holder), 'second');
    const other = runUntilAborted(locks, lockedJob('job-2', { token: 'other' }), 'other');
    expect(locks.size()).toBe(3);
    expect(locks.cancelJob('job-1', 'cancelled by the client')).toBe(true);
    expect(await stale.ended).toBe('cancelled by the client');
    expect(await current.ended).toBe('cancelled by the client');
    expect(other.signal().aborted).toBe(false);
    expect(locks.cancelJob('job-1')).toBe(false);
    locks.cancelAllJobs('stopping');
    expect(await other.ended).toBe('stopping');
    expect(locks.size()).toBe(0);
    locks.close();
  });

  it('aborts the run whose renewal Redis refuses (the lock is another run’s), not the run that holds it', async () => {
    const locks = createRunLocks({ lockDurationMs: 100 });
    const holder = { token: 'second' };
    const stale = runUntilAborted(locks, lockedJob('job-1', holder), 'first');
    const current = runUntilAborted(locks, lockedJob('job-1', holder), 'second');
    expect(await stale.ended).toBeInstanceOf(LockLostError);
    expect(isLockLost(stale.signal())).toBe(true);
    await tick(250);
    expect(current.signal().aborted).toBe(false);
    locks.cancelJob('job-1', 'done');
    expect(isLockLost(current.signal())).toBe(false);
    await current.ended;
    locks.close();
  });

  it('keeps a run whose renewal cannot reach Redis: the lock may still hold, the next round asks again', async () => {
    const locks = createRunLocks({ lockDurationMs: 100 });
    const holder = { token: 'only', down: true };
    const run = runUntilAborted(locks, lockedJob('job-1', holder), 'only');
    await tick(250);
    expect(run.signal().aborted).toBe(false);
    holder.down = false;
    holder.token = 'taken-by-another';
    expect(await run.ended).toBeInstanceOf(LockLostError);
    locks.close();
  });

  it('renews every run on its own: one whose renewal hangs (a busy connection) holds up no other, and is not sent again meanwhile', async () => {
    const locks = createRunLocks({ lockDurationMs: 100 });
    let hungCalls = 0;
    let renewals = 0;
    const hung = runUntilAborted(locks, { id: 'job-hung', extendLock: () => ((hungCalls += 1), new Promise<number>(() => undefined)) }, 'hung');
    const other = runUntilAborted(locks, { id: 'job-2', extendLock: async () => ((renewals += 1), 1) }, 'other');
    await tick(300);
    expect(hungCalls).toBe(1);
    // Every quarter of the lock (25 ms): several in 300 ms, whatever the hung one does.
    expect(renewals).toBeGreaterThanOrEqual(4);
    locks.cancelAllJobs('done');
    await Promise.all([hung.ended, other.ended]);
    locks.close();
  });

  it('renews the lock of a job taken long before its run begins (a saturated worker), and never begins one whose lock lapsed meanwhile', async () => {
    const locks = createRunLocks({ lockDurationMs: 60_000 });
    const calls: string[] = [];
    const job = (id: string, holder: string, processedOn: number): LockedJob => ({
      id,
      processedOn,
      extendLock: async (token) => (calls.push(id), token === holder ? 1 : 0),
    });
    // Taken 40 s ago: renewed first, then run.
    expect(await locks.run(job('late', 'mine', Date.now() - 40_000), 'mine', undefined, async () => 'ran')).toBe('ran');
    // Taken 70 s ago: its lock is another run's by now; the processor is never called.
    let called = false;
    await expect(
      locks.run(job('lapsed', 'another', Date.now() - 70_000), 'mine', undefined, async () => {
        called = true;
      }),
    ).rejects.toThrow(/lock of job lapsed was lost/);
    expect(called).toBe(false);
    // Taken just now: no renewal before it runs (no round trip added to a job started at once).
    expect(await locks.run(job('fresh', 'mine', Date.now()), 'mine', undefined, async () => 'ran')).toBe('ran');
    expect(calls).toEqual(['late', 'lapsed']);
    locks.close();
  });

  it('follows the signal BullMQ passes (the shutdown aborts it)', async () => {
    const locks = createRunLocks({ lockDurationMs: 60_000 });
    const outer = new AbortController();
    const ended = locks.run(
      lockedJob('job-1', { token: 't' }),
      't',
      outer.signal,
      (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason))),
    );
    outer.abort('worker shutting down');
    expect(await ended).toBe('worker shutting down');
    locks.close();
  });
});

describe('worker errors', () => {
  it('logs a job end refused for a lost lock as a warning naming the job, anything else as an error', () => {
    const logged: [string, unknown, string][] = [];
    const logger = {
      warn: (fields: unknown, message: string) => logged.push(['warn', fields, message]),
      error: (fields: unknown, message: string) => logged.push(['error', fields, message]),
    };
    logWorkerError(logger, new Error('Missing lock for job key_a-7. moveToFailed'));
    const other = new Error('Connection is closed.');
    logWorkerError(logger, other);
    expect(logged).toEqual([
      ['warn', { jobId: 'key_a-7', command: 'moveToFailed' }, expect.stringContaining('lock was lost')],
      ['error', { err: other }, 'worker error'],
    ]);
  });
});
