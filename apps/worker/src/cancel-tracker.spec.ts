import { createCancelTracker } from './cancel-tracker';

describe('cancel tracker', () => {
  it('aborts a job the worker runs, and remembers one it does not run (yet)', () => {
    let clock = 0;
    const running = new Set(['active-job']);
    const aborted: string[] = [];
    const tracker = createCancelTracker({ rememberMs: 1000, now: () => clock });
    tracker.attach({ cancelJob: (jobId) => (running.has(jobId) ? (aborted.push(jobId), true) : false) });
    tracker.cancel('active-job');
    tracker.cancel('not-yet-taken');
    expect(aborted).toEqual(['active-job']);
    expect(tracker.wasCancelled('active-job')).toBe(false);
    expect(tracker.wasCancelled('not-yet-taken')).toBe(true);
    clock = 2000;
    expect(tracker.wasCancelled('not-yet-taken')).toBe(false);
  });

  it('remembers a bounded number of jobs', () => {
    const tracker = createCancelTracker({ maxRemembered: 3, now: () => 0 });
    for (const jobId of ['a', 'b', 'c', 'd', 'e']) tracker.cancel(jobId);
    expect(['a', 'b', 'c', 'd', 'e'].filter((jobId) => tracker.wasCancelled(jobId))).toEqual(['c', 'd', 'e']);
  });
});
