import { spawn } from 'node:child_process';
import { Agent } from 'undici';

/**
 * In its own process: `calls` simultaneous calls to the upstream through a bare keep-alive undici pool (the HTTP
 * client a worker uses, without any gateway code), after a warm-up. Prints {wallMs, rssGrowthMb} as JSON: the
 * memory floor of that many calls in flight, against which a worker's growth is judged.
 */
export async function runBareClientBurst(): Promise<void> {
  const url = new URL(process.env['BURST_URL'] ?? '');
  const calls = Number(process.env['BURST_CALLS'] ?? 2000);
  const agent = new Agent({ connections: calls * 2, keepAliveTimeout: 30_000 });
  const body = process.env['BURST_BODY'] ?? '{}';
  const call = async () => {
    const response = await agent.request({ origin: url.origin, path: url.pathname + url.search, method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.body.json();
  };
  await Promise.all(Array.from({ length: 40 }, call));
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  await Promise.all(Array.from({ length: calls }, call));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - started, rssGrowthMb: (peak - before) / 1048576 })}\n`);
  await agent.close();
}

/** Runs the bare client burst in a child process and returns its figures. */
export function bareClientBurst(url: string, body: unknown, calls: number): Promise<{ wallMs: number; rssGrowthMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1] ?? '', '--bare-client-burst'], {
      env: { ...process.env, BURST_URL: url, BURST_CALLS: String(calls), BURST_BODY: JSON.stringify(body) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString('utf8');
    });
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(output.trim().split('\n').pop() ?? '') as { wallMs: number; rssGrowthMb: number });
      } catch {
        reject(new Error(`bare client burst exited ${code}: ${output}`));
      }
    });
  });
}
