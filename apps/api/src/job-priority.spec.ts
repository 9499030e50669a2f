import { callerPriorityRange, jobPriority } from './job-priority';

describe('jobPriority', () => {
  it('ignores a priority asked on interactive routes (they stay ahead of prioritized work)', () => {
    expect(jobPriority('interactive', 1)).toBeUndefined();
    expect(jobPriority('interactive', 2_000_000)).toBeUndefined();
  });

  it.each([
    ['job', 5, 5],
    ['job', 1, 1],
    ['job', 2_097_152, callerPriorityRange.max],
    ['batch', 0, callerPriorityRange.min],
    ['batch', 1500, 1000],
    ['batch', 1000, 1000],
  ] as const)('%s asking %d gets %d', (kind, asked, expected) => {
    expect(jobPriority(kind, asked)).toBe(expected);
  });

  it('leaves jobs that ask none without a priority', () => {
    expect(jobPriority('job', undefined)).toBeUndefined();
    expect(jobPriority('batch', undefined)).toBeUndefined();
  });
});
