import { spawn } from 'node:child_process';
import { Agent } from 'undici';

/** What one burst measured: its wall time, the failures, and the client process's own RSS growth. */
export interface BurstResult {
  wallMs: number;
  /** Calls that failed or answered anything but 2xx. */
  failures: number;
  rssGrowthMb: number;
}

/** Calls each burst sends first, before the timed ones. */
export const warmUpCalls = 40;

/**
 * `calls` simultaneous POSTs of `body` to `url` through a bare keep-alive undici pool (the HTTP client a worker
 * uses, without any gateway code), after a warm-up of 40. Measures this process's RSS growth: pointed at the
 * upstream, it is the memory floor of that many calls in flight, against which a worker's growth is judged; pointed
 * at anything, it is a load generator whose own cost per connection is a fraction of autocannon's.
 */
export async function burst(url: URL, body: string, calls: number, onStart?: () => void): Promise<BurstResult> {
  const agent = new Agent({ connections: calls * 2, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
  let failures = 0;
  const call = async () => {
    try {
      const response = await agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.body.arrayBuffer();
      if (response.statusCode < 200 || response.statusCode > 299) failures += 1;
    } catch {
      failures += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: warmUpCalls }, call));
    failures = 0;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    onStart?.();
    const started = performance.now();
    await Promise.all(Array.from({ length: calls }, call));
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    return { wallMs, failures, rssGrowthMb: (Math.max(peak, process.memoryUsage().rss) - before) / 1048576 };
  } finally {
    await agent.destroy();
  }
}

/** In its own process (`--bare-client-burst`, settings from the environment): prints a {@link BurstResult} as JSON. */
export async function runBareClientBurst(): Promise<void> {
  // The parent times the gateway's side of the burst from this line.
  const result = await burst(new URL(process.env['BURST_URL'] ?? ''), process.env['BURST_BODY'] ?? '{}', Number(process.env['BURST_CALLS'] ?? 2000), () =>
    process.stdout.write('started\n'),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Runs a bare client burst in a child process and returns its figures; `onStart` when its calls go out. */
export function bareClientBurst(url: string, body: unknown, calls: number, onStart?: () => void): Promise<BurstResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1] ?? '', '--bare-client-burst'], {
      env: { ...process.env, BURST_URL: url, BURST_CALLS: String(calls), BURST_BODY: JSON.stringify(body) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (data: Buffer) => {
      const hadStarted = output.includes('started\n');
      output += data.toString('utf8');
      if (!hadStarted && output.includes('started\n')) onStart?.();
    });
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(output.trim().split('\n').pop() ?? '') as BurstResult);
      } catch {
        reject(new Error(`bare client burst exited ${code}: ${output}`));
      }
    });
  });
}
