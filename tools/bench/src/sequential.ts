import { Agent, request } from 'undici';

/** Percentiles of sequential request latencies, with sub-millisecond precision (autocannon rounds to 1 ms). */
export interface SequentialResult {
  count: number;
  p50: number;
  p99: number;
  errors: number;
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
  return { count, p50: percentile(times, 0.5), p99: percentile(times, 0.99), errors };
}
