import { laneLayout, laneOfPriority, lanePriority, laneRange, priorityBand } from '@gateway/queue';

describe('lane priorities', () => {
  it('keeps every lane inside BullMQ’s priorities, job lane before batch lane', () => {
    const lastJob = lanePriority('job', laneLayout.bands - 1, laneLayout.roundsPerBand * 5);
    const firstBatch = lanePriority('batch', 0, 0);
    const lastBatch = lanePriority('batch', laneLayout.bands - 1, Number.MAX_SAFE_INTEGER);
    expect(lanePriority('job', 0, 0)).toBe(1);
    expect(lastJob).toBeLessThan(firstBatch);
    expect(lastBatch).toBeLessThanOrEqual(2 ** 21 - 1);
    expect([laneOfPriority(0), laneOfPriority(lastJob), laneOfPriority(firstBatch), laneOfPriority(lastBatch)]).toEqual([
      'interactive',
      'job',
      'batch',
      'batch',
    ]);
    expect(laneRange('job').high).toBeLessThanOrEqual(laneRange('batch').low);
  });

  it.each([
    [undefined, 0],
    [1, 1],
    [0, 1],
    [500, 4],
    [1000, 7],
    [2_097_152, 7],
  ] as const)('priority %s is band %d', (asked, band) => {
    expect(priorityBand(asked)).toBe(band);
  });

  it('orders by band before round: an urgent request waits behind no round of a lesser band', () => {
    expect(lanePriority('batch', 1, laneLayout.roundsPerBand - 1)).toBeLessThan(lanePriority('batch', 2, 0));
    expect(lanePriority('job', 3, 10)).toBeLessThan(lanePriority('job', 3, 11));
  });
});
