import { Pool } from 'undici';
import { percentile } from './sequential';

/** What an open-loop run at a fixed rate measured. */
export interface PacedResult {
  achievedRps: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * Sends requests at an even, fixed rate (open loop: request i leaves at start + i/rate whether or not earlier ones
 * have answered), on up to `connections` keep-alive connections, and times each from the moment it was due, so
 * a slow server shows as latency rather than as fewer requests sent (no coordinated omission). autocannon's rate
 * mode sends each second's share as one burst, which measures the burst rather than the server.
 */
export async function runPaced(options: { url: string; body: unknown; rate: number; durationSeconds: number; connections: number }): Promise<PacedResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.connections, keepAliveTimeout: 30_000 });
  const payload = JSON.stringify(options.body);
  const total = Math.round(options.rate * options.durationSeconds);
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  const send = (due: number) =>
    pool
      .request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body: payload })
      .then(async (response) => {
        await response.body.arrayBuffer();
        if (response.statusCode >= 300) errors += 1;
        else latencies.push(performance.now() - due);
      })
      .catch(() => {
        errors += 1;
      });
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && started + (sent * 1000) / options.rate <= now) {
      inFlight.push(send(started + (sent * 1000) / options.rate));
      sent += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { achievedRps: latencies.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors };
}
