import autocannon from 'autocannon';

/** The figures of one load run. */
export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  durationSeconds: number;
}

/** Options of a load run: fixed duration or fixed amount, optionally at a fixed offered rate. */
export interface LoadOptions {
  url: string;
  body: unknown;
  connections: number;
  durationSeconds?: number;
  amount?: number;
  overallRate?: number;
  headers?: Record<string, string>;
  timeoutSeconds?: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(options.body),
    connections: options.connections,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationSeconds ?? 5 }),
    ...(options.overallRate !== undefined ? { overallRate: options.overallRate } : {}),
    timeout: options.timeoutSeconds ?? 30,
  });
  const latency = result.latency as unknown as Record<string, number>;
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: latency['p50'] ?? NaN,
    p90: latency['p90'] ?? NaN,
    p99: latency['p99'] ?? NaN,
    max: latency['max'] ?? NaN,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    durationSeconds: result.duration,
  };
}
