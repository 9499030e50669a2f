import { Agent, request } from 'undici';

/** Percentiles of sequential request latencies, with sub-millisecond precision (autocannon rounds to 1 ms). */
export interface SequentialResult {
  count: number;
  p50: number;
  p99: number;
  errors: number;
  /** Every latency, sorted (ms): to pool rounds' samples. */
  times?: number[];
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/** Sends `count` POSTs one after another on one keep-alive connection and times each. */
export async function runSequential(url: string, body: unknown, count: number): Promise<SequentialResult> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
  const payload = JSON.stringify(body);
  const times: number[] = [];
  let errors = 0;
  try {
    for (let index = 0; index < count; index += 1) {
      const started = performance.now();
      try {
        const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, dispatcher: agent });
        await response.body.arrayBuffer();
        if (response.statusCode >= 300) errors += 1;
      } catch {
        errors += 1;
      }
      times.push(performance.now() - started);
    }
  } finally {
    await agent.close();
  }
  times.sort((a, b) => a - b);
  return { count, p50: percentile(times, 0.5), p99: percentile(times, 0.99), errors, times };
}

/** A target of {@link runSequentialInterleaved}. */
export interface SequentialTarget {
  url: string;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * `count` POSTs to each target, one request at a time, the targets taken in turn (A B C, A B C, …), each target on
 * its own keep-alive connection: the drift of this machine's speed then falls on every series alike, and the
 * added latency (a target's percentile minus the bare upstream's) compares figures of the same seconds.
 */
export async function runSequentialInterleaved(targets: readonly SequentialTarget[], count: number): Promise<SequentialResult[]> {
  const agents = targets.map(() => new Agent({ connections: 1, keepAliveTimeout: 60_000 }));
  const payloads = targets.map((target) => JSON.stringify(target.body));
  const times = targets.map(() => [] as number[]);
  const errors = targets.map(() => 0);
  try {
    for (let index = 0; index < count; index += 1) {
      for (const [which, target] of targets.entries()) {
        const started = performance.now();
        try {
          const response = await request(target.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...target.headers },
            body: payloads[which],
            dispatcher: agents[which],
          });
          await response.body.arrayBuffer();
          if (response.statusCode >= 300) errors[which] = (errors[which] ?? 0) + 1;
        } catch {
          errors[which] = (errors[which] ?? 0) + 1;
        }
        times[which]!.push(performance.now() - started);
      }
    }
  } finally {
    await Promise.all(agents.map((agent) => agent.close()));
  }
  return times.map((series, which) => {
    series.sort((a, b) => a - b);
    return { count, p50: percentile(series, 0.5), p99: percentile(series, 0.99), errors: errors[which] ?? 0 };
  });
}
