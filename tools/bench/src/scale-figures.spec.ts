import { kbPerStream, microsecondsPerToken, partsNote, summed, tokensPerStream } from './scale-figures';

describe('kbPerStream', () => {
  it('takes the median of the samples while all streams were open, less the memory before, per stream', () => {
    // Samples 140, 145, 150, 160, 900 (a GC spike): median 150, less 100 = 50 MB over 5,000 streams.
    expect(kbPerStream({ beforeMb: 100, openMb: [160, 140, 900, 150, 145] }, 5000)).toBeCloseTo((50 * 1024) / 5000, 6);
  });

  it('is NaN without a sample taken while all were open, or without streams', () => {
    expect(kbPerStream({ beforeMb: 100, openMb: [] }, 5000)).toBeNaN();
    expect(kbPerStream({ beforeMb: 100, openMb: [120] }, 0)).toBeNaN();
  });

  it('can be negative when the process shrank (a collection after the baseline): reported as measured', () => {
    expect(kbPerStream({ beforeMb: 100, openMb: [90] }, 1024)).toBeCloseTo(-10, 6);
  });
});

describe('microsecondsPerToken', () => {
  it('turns CPU seconds over tokens into microseconds per token', () => {
    expect(microsecondsPerToken(6, 1_200_000)).toBeCloseTo(5, 9);
    expect(microsecondsPerToken(1, 0)).toBeNaN();
  });
});

describe('summed', () => {
  it('adds the parts and sets the total against the baseline', () => {
    const figures = summed({ api: 30, worker: 20, redis: 10 }, 20);
    expect(figures.total).toBe(60);
    expect(figures.ratio).toBe(3);
    expect(partsNote(figures.parts)).toBe('api 30.0, worker 20.0, redis 10.0');
  });

  it('has no ratio to a baseline that is not positive', () => {
    expect(summed({ api: 1 }, 0).ratio).toBeNaN();
    expect(summed({ api: 1 }, NaN).ratio).toBeNaN();
  });
});

describe('tokensPerStream', () => {
  it('gives 240 tokens for a minute at 250 ms, and at least one', () => {
    expect(tokensPerStream(60, 250)).toBe(240);
    expect(tokensPerStream(5, 250)).toBe(20);
    expect(tokensPerStream(0.01, 250)).toBe(1);
  });
});
