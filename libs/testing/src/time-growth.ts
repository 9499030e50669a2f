/** How a parser's time grew with the size of its input. */
export interface TimeGrowth {
  sizes: number[];
  /** The fastest run's CPU milliseconds at each size measured (what interference adds, a collection of an earlier run's garbage or a GC thread's burst, only ever adds time). */
  fastest: number[];
  /** time(next size) / time(size), each step; the time below is floored at `floorMs`. */
  ratios: number[];
  /**
   * The step ratio over the whole span: (time(largest) / time(smallest)) ^ (1 / steps), the geometric mean of the
   * steps. A middle size slowed by a collection or a neighbour's burst makes one step look quadratic and the next
   * look free; over the span they cancel (linear: 2, quadratic: 4).
   */
  typical: number;
  worst: number;
}

export interface TimeGrowthOptions {
  /** Timed runs of each size (after one untimed run); the fastest is kept. */
  runs?: number;
  /** The step ratio past which measuring stops (larger sizes of quadratic code would take minutes). */
  stopAbove?: number;
  /** Times below this count as this much: a run refused at its first bytes takes about nothing at every size. */
  floorMs?: number;
  /** A run longer than this ends the measure: what was measured is kept. */
  runCapMs?: number;
}

/**
 * The CPU milliseconds (user + system) of this process over one run of `work`: the parsers measured here are
 * synchronous CPU work, and CPU time does not count the time the process waited for a core while other processes
 * (a CI run's other suites, a benchmark) held both, which wall-clock time does.
 */
async function timeOnce(work: () => unknown): Promise<number> {
  const started = process.cpuUsage();
  await work();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

/**
 * Measures `work` at doubling sizes and compares each fastest time with the previous size's: ratios rather than
 * absolute times, so a loaded machine slows every size alike. The sizes take turns, round after round, so a burst of
 * a neighbour's work slows one run of several sizes rather than every run of one. Linear work doubles when the size
 * doubles, quadratic work quadruples: the first round stops at a step past `stopAbove` (or a run past `runCapMs`),
 * so quadratic code is caught without running its larger sizes.
 */
export async function measureTimeGrowth(work: (size: number) => unknown, sizes: number[], options: TimeGrowthOptions = {}): Promise<TimeGrowth> {
  const { runs = 5, stopAbove = 8, floorMs = 1, runCapMs = 2000 } = options;
  const measured: number[] = [];
  const times: number[][] = [];
  // The first round warms each size up (its times are dropped) and finds the sizes worth measuring.
  for (const size of sizes) {
    const [warmUp, timed] = [await timeOnce(() => work(size)), await timeOnce(() => work(size))];
    const previous = times[times.length - 1]?.[0];
    // A step past `stopAbove` is looked at once more before it ends the measure: a neighbour's burst or a collection
    // slows one run, quadratic code every run (stopping on one slowed run left one step to judge by).
    const first =
      previous !== undefined && timed / Math.max(previous, floorMs) > stopAbove && timed <= runCapMs
        ? Math.min(timed, await timeOnce(() => work(size)))
        : timed;
    measured.push(size);
    times.push([first]);
    if (warmUp > runCapMs || first > runCapMs || (previous !== undefined && first / Math.max(previous, floorMs) > stopAbove)) break;
  }
  const capped = times.some((sizeTimes) => sizeTimes[0]! > runCapMs);
  for (let round = 1; round < runs && !capped; round += 1) {
    for (const [index, size] of measured.entries()) times[index]!.push(await timeOnce(() => work(size)));
  }
  // Quadratic code is slow in every run; a run slowed by something else is not the code's cost.
  const fastest = times.map((values) => Math.min(...values));
  const ratios = fastest.slice(1).map((time, index) => time / Math.max(fastest[index]!, floorMs));
  const span = fastest.length > 1 ? (fastest[fastest.length - 1]! / Math.max(fastest[0]!, floorMs)) ** (1 / (fastest.length - 1)) : 0;
  return { sizes: measured, fastest, ratios, typical: span, worst: Math.max(0, ...ratios) };
}
