import { laneLayout, lanePriority, laneRange, priorityBand } from '@gateway/queue';

describe('lane priorities', () => {
  it('keeps every lane inside BullMQ’s priorities, each lane having the whole range in its own queue', () => {
    const last = lanePriority(laneLayout.bands - 1, Number.MAX_SAFE_INTEGER);
    expect(lanePriority(0, 0)).toBe(1);
    expect(last).toBeLessThanOrEqual(2 ** 21 - 1);
    expect(laneRange()).toEqual({ low: 1, high: 1 + laneLayout.bands * laneLayout.roundsPerBand });
    expect(laneRange().high).toBeLessThanOrEqual(2 ** 21);
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
    expect(lanePriority(1, laneLayout.roundsPerBand - 1)).toBeLessThan(lanePriority(2, 0));
    expect(lanePriority(3, 10)).toBeLessThan(lanePriority(3, 11));
  });
});
