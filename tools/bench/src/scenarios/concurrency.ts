import { bareClientBurst } from '../bare-client-burst';
import { memoryMb } from '../proc-stats';
import { runLoad } from '../load';
import { chatBody, upstreamBody, type ScenarioContext } from './context';

/** 2,000 simultaneous 1-second upstream calls through one worker: wall time, errors, worker memory per call. */
export async function concurrencyScenario(context: ScenarioContext, calls = 2000): Promise<void> {
  // The same burst straight to the upstream: what the load generator and the upstream alone take on this machine.
  const directUrl = `${context.env.upstreamUrl}/api/v1/chat/completions`;
  const directBody = { ...upstreamBody, model: 'bench?latency=1000' };
  await runLoad({ url: directUrl, body: directBody, connections: 20, amount: 40 });
  const directStarted = performance.now();
  const direct = await runLoad({ url: directUrl, body: directBody, connections: calls, amount: calls, timeoutSeconds: 60 });
  const directSeconds = (performance.now() - directStarted) / 1000;
  const bare = await bareClientBurst(directUrl, directBody, calls);
  context.log(`concurrency: ${calls} calls straight to the upstream in ${directSeconds.toFixed(2)} s, errors ${direct.errors + direct.non2xx}; a bare HTTP client's RSS +${bare.rssGrowthMb.toFixed(1)} MB for them`);
  const gateway = await context.env.startGateway({ apis: 1, workers: 1, env: { WORKER_CONCURRENCY: String(calls) } });
  try {
    const url = `${gateway.urls[0]}/v1/chat`;
    const body = { ...chatBody, model: 'bench?latency=1000' };
    await runLoad({ url, body, connections: 20, amount: 40 });
    const workerPid = gateway.workers[0]!.child.pid!;
    const before = memoryMb(workerPid);
    let peak = before.rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, memoryMb(workerPid).rss);
    }, 50);
    const started = performance.now();
    const result = await runLoad({ url, body, connections: calls, amount: calls, timeoutSeconds: 60 });
    const wallSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const growthMb = peak - before.rss;
    context.log(`concurrency: ${calls} calls in ${wallSeconds.toFixed(2)} s, errors ${result.errors + result.non2xx}, worker RSS +${growthMb.toFixed(1)} MB`);
    const scenario = `concurrency ${calls}×1s`;
    context.rows.push({ scenario, metric: 'wall time (baseline: the same burst straight to the upstream)', value: wallSeconds, unit: 's', baseline: directSeconds, target: '≤ 2 s', met: wallSeconds <= 2 });
    context.rows.push({ scenario, metric: 'errors + non-2xx', value: result.errors + result.non2xx, unit: '', target: '0', met: result.errors + result.non2xx === 0 });
    context.rows.push({ scenario, metric: 'worker RSS growth (baseline: a bare undici pool making the same calls, no gateway code)', value: growthMb, unit: 'MB', baseline: bare.rssGrowthMb, target: '< 50 MB', met: growthMb < 50 });
    context.rows.push({ scenario, metric: 'worker RSS growth per call', value: (growthMb * 1024) / calls, unit: 'KB' });
  } finally {
    await gateway.stop();
  }
}
