import { runLoad } from './load';
import { cpuDelta, cpuSnapshot } from './proc-stats';
import { median } from './scenarios/context';

/** One side of an interleaved comparison: where to send load, and the processes whose CPU it costs. */
export interface ComparedSide {
  url: string;
  body: unknown;
  pids: Record<string, number>;
  headers?: Record<string, string>;
}

/** Requests/s of each side per round, their medians, the median of the per-round ratios (a / b), and CPU per request. */
export interface InterleavedResult {
  a: number[];
  b: number[];
  medianA: number;
  medianB: number;
  /** Median over rounds of a's requests/s divided by b's in the same round. */
  ratio: number;
  /** Median over rounds of each side's p99 (ms). */
  p99A: number;
  p99B: number;
  cpuMsPerRequestA: number;
  cpuMsPerRequestB: number;
  /** CPU ms per request of each side by process (api, worker, redis, upstream, …): where a difference lies. */
  cpuByProcessA: Record<string, number>;
  cpuByProcessB: Record<string, number>;
  /** Redis commands per request of each side, when counted. */
  commandsA?: number;
  commandsB?: number;
}

/**
 * Compares two running setups under the same load, in short alternating runs (A B, then B A, …) rather than one
 * long run each: this machine's speed drifts by tens of percent within a minute, and a drift then falls on both
 * sides of every round instead of on one side of the comparison.
 */
export async function interleavedComparison(
  a: ComparedSide,
  b: ComparedSide,
  options: { connections: number; rounds: number; seconds: number; commandCount?: () => Promise<number> },
): Promise<InterleavedResult> {
  const rps = { a: [] as number[], b: [] as number[] };
  const p99 = { a: [] as number[], b: [] as number[] };
  const cpu = { a: 0, b: 0 };
  const cpuByProcess = { a: {} as Record<string, number>, b: {} as Record<string, number> };
  const requests = { a: 0, b: 0 };
  const commands = { a: 0, b: 0 };
  const run = async (key: 'a' | 'b', side: ComparedSide) => {
    const before = cpuSnapshot(side.pids);
    const commandsBefore = await options.commandCount?.();
    const result = await runLoad({
      url: side.url,
      body: side.body,
      connections: options.connections,
      durationSeconds: options.seconds,
      ...(side.headers ? { headers: side.headers } : {}),
    });
    p99[key].push(result.p99);
    if (commandsBefore !== undefined && options.commandCount) commands[key] += (await options.commandCount()) - commandsBefore;
    const delta = cpuDelta(before, cpuSnapshot(side.pids));
    cpu[key] += Object.values(delta).reduce((sum, seconds) => sum + seconds, 0);
    for (const [name, seconds] of Object.entries(delta)) cpuByProcess[key][name] = (cpuByProcess[key][name] ?? 0) + seconds;
    requests[key] += Math.max(1, result.requests - result.errors - result.non2xx);
    rps[key].push(result.rps);
  };
  for (let round = 0; round < options.rounds; round += 1) {
    if (round % 2 === 0) {
      await run('a', a);
      await run('b', b);
    } else {
      await run('b', b);
      await run('a', a);
    }
  }
  return {
    ...rps,
    medianA: median(rps.a),
    medianB: median(rps.b),
    ratio: median(rps.a.map((value, index) => value / (rps.b[index] ?? NaN))),
    p99A: median(p99.a),
    p99B: median(p99.b),
    cpuMsPerRequestA: (cpu.a * 1000) / requests.a,
    cpuMsPerRequestB: (cpu.b * 1000) / requests.b,
    cpuByProcessA: perRequestMs(cpuByProcess.a, requests.a),
    cpuByProcessB: perRequestMs(cpuByProcess.b, requests.b),
    ...(options.commandCount ? { commandsA: commands.a / requests.a, commandsB: commands.b / requests.b } : {}),
  };
}

const perRequestMs = (seconds: Record<string, number>, requests: number): Record<string, number> =>
  Object.fromEntries(Object.entries(seconds).map(([name, value]) => [name, (value * 1000) / requests]));

/** CPU ms per request by process, as `api 0.41, worker 0.30, …`. */
export const cpuSplit = (byProcess: Record<string, number>): string =>
  Object.entries(byProcess)
    .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
    .join(', ');
