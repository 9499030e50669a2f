import { alternatingOrder, figuresTable, medianByMetric, medianOf, medianRatio } from './round-figures';

describe('alternatingOrder', () => {
  it('takes the setups as given in even rounds and reversed in odd ones, leaving the list as it was', () => {
    const setups = ['a', 'b', 'c'];
    expect(alternatingOrder(setups, 0)).toEqual(['a', 'b', 'c']);
    expect(alternatingOrder(setups, 1)).toEqual(['c', 'b', 'a']);
    expect(alternatingOrder(setups, 2)).toEqual(['a', 'b', 'c']);
    expect(setups).toEqual(['a', 'b', 'c']);
  });
});

describe('medianOf', () => {
  it('is the middle value of an odd count and the mean of the two middle ones of an even count, in any order', () => {
    expect(medianOf([9, 1, 5])).toBe(5);
    expect(medianOf([4, 1, 3, 2])).toBe(2.5);
  });

  it('leaves NaN out, and is NaN for nothing', () => {
    expect(medianOf([NaN, 7, 1, NaN, 3])).toBe(3);
    expect(medianOf([])).toBeNaN();
    expect(medianOf([NaN])).toBeNaN();
  });
});

describe('medianByMetric', () => {
  it("takes each metric's median over the rounds that measured it", () => {
    const rounds: Record<string, number>[] = [{ rps: 100, p99: 30 }, { rps: 300, p99: 10 }, { rps: 200, p99: NaN }, { rps: 250 }];
    expect(medianByMetric(rounds)).toEqual({ rps: 225, p99: 20 });
  });
});

describe('medianRatio', () => {
  it('divides round by round, so a slow round weighs on both sides', () => {
    // Round 2 is slow for both: the ratio of medians would be 150/200 = 0.75, the per-round ratios are all 0.5.
    const setup = [{ rps: 100 }, { rps: 50 }, { rps: 150 }];
    const baseline = [{ rps: 200 }, { rps: 100 }, { rps: 300 }];
    expect(medianRatio(setup, baseline, 'rps')).toBe(0.5);
  });

  it('leaves out rounds where either side is missing', () => {
    const setup: Record<string, number>[] = [{ rps: 100 }, { rps: 90 }, {}];
    const baseline: Record<string, number>[] = [{ rps: 50 }, {}, { rps: 10 }];
    expect(medianRatio(setup, baseline, 'rps')).toBe(2);
  });
});

describe('figuresTable', () => {
  it('puts one row per setup with the median of each column, and a dash for a metric never measured', () => {
    const table = figuresTable(
      [
        {
          name: 'one queue',
          rounds: [
            { p99: 12.34, rps: 1500 },
            { p99: 20, rps: 1700 },
            { p99: 14, rps: 1600 },
          ],
        },
        { name: 'per lane', rounds: [{ p99: 9 }] },
      ],
      [
        { metric: 'p99', heading: 'p99 (ms)', digits: 1 },
        { metric: 'rps', heading: 'req/s', digits: 0 },
      ],
    );
    expect(table.split('\n')).toEqual(['| setup | p99 (ms) | req/s |', '|---|---:|---:|', '| one queue | 14.0 | 1,600 |', '| per lane | 9.0 | – |']);
  });
});
