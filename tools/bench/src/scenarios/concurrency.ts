import { bareClientBurst, warmUpCalls, type BurstResult } from '../bare-client-burst';
import { watchQueue, type BurstTimeline } from '../queue-timeline';
import { cpuDelta, cpuPerRequest, cpuSnapshot, memoryMb } from '../proc-stats';
import { runLoad } from '../load';
import { chatBody, upstreamBody, type ScenarioContext } from './context';

/**
 * 2,000 simultaneous 1-second upstream calls through one worker: wall time, errors, worker memory per call.
 *
 * The burst is sent by a bare undici client in its own process (autocannon spends more on opening 2,000
 * connections than the gateway does: its burst straight to the upstream is reported beside it). The gateway is
 * warmed first with steady traffic, as a running one is, so the first burst measures the gateway and not its JIT
 * warm-up; its worker still opens 2,000 new upstream connections (the warm-up needs 32). A second burst then runs on
 * the connections the first left open.
 */
export async function concurrencyScenario(context: ScenarioContext, calls = 2000): Promise<void> {
  const directUrl = `${context.env.upstreamUrl}/api/v1/chat/completions`;
  const directBody = { ...upstreamBody, model: 'bench?latency=1000' };
  await runLoad({ url: directUrl, body: directBody, connections: 20, amount: 40 });
  const autocannonStarted = performance.now();
  await runLoad({ url: directUrl, body: directBody, connections: calls, amount: calls, timeoutSeconds: 60 });
  const autocannonSeconds = (performance.now() - autocannonStarted) / 1000;
  const direct = await bareClientBurst(directUrl, directBody, calls);
  context.log(
    `concurrency: ${calls} calls straight to the upstream in ${(direct.wallMs / 1000).toFixed(2)} s (autocannon: ${autocannonSeconds.toFixed(2)} s), failures ${direct.failures}; the bare client's RSS +${direct.rssGrowthMb.toFixed(1)} MB for them`,
  );
  const gateway = await context.env.startGateway({ apis: 1, workers: 1, env: { WORKER_CONCURRENCY: String(calls) } });
  try {
    const url = `${gateway.urls[0]}/v1/chat`;
    await runLoad({ url, body: chatBody, connections: 32, durationSeconds: 2 });
    const workerPid = gateway.workers[0]!.child.pid!;
    const burst = async (): Promise<
      BurstResult & { workerRssBeforeMb: number; workerRssGrowthMb: number; cpu: Record<string, number>; timeline: BurstTimeline }
    > => {
      const before = memoryMb(workerPid).rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, memoryMb(workerPid).rss);
      }, 50);
      const cpuBefore = cpuSnapshot(gateway.pids());
      const queue = await watchQueue(context.env.redis.url, `${gateway.prefix}:chat`, calls, { before: warmUpCalls });
      const result = await bareClientBurst(url, { ...chatBody, model: 'bench?latency=1000' }, calls, () => queue.start());
      const timeline = await queue.stop();
      clearInterval(sampler);
      return {
        ...result,
        timeline,
        workerRssBeforeMb: before,
        workerRssGrowthMb: Math.max(peak, memoryMb(workerPid).rss) - before,
        cpu: cpuDelta(cpuBefore, cpuSnapshot(gateway.pids())),
      };
    };
    const first = await burst();
    const second = await burst();
    const describe = (result: typeof first) =>
      `${(result.wallMs / 1000).toFixed(2)} s, failures ${result.failures}, worker RSS ${result.workerRssBeforeMb.toFixed(0)} MB +${result.workerRssGrowthMb.toFixed(1)} MB, CPU ${Object.entries(
        result.cpu,
      )
        .map(([name, seconds]) => `${name} ${seconds.toFixed(2)} s`)
        .join(', ')}`;
    context.log(`concurrency: ${calls} calls through the gateway: first burst ${describe(first)}; second burst ${describe(second)}`);
    const scenario = `concurrency ${calls}×1s`;
    const [firstCpu, secondCpu] = [cpuPerRequest(first.cpu, calls), cpuPerRequest(second.cpu, calls)];
    context.rows.push({
      scenario,
      metric: `wall time, first burst: 2,000 new upstream connections (baseline: the same client straight to the upstream; autocannon alone takes ${autocannonSeconds.toFixed(2)} s for it)`,
      value: first.wallMs / 1000,
      unit: 's',
      baseline: direct.wallMs / 1000,
      target: '≤ 1.6 s',
      met: first.wallMs <= 1600,
      goal: 'concurrency',
    });
    const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const { firstEnqueuedMs, allEnqueuedMs, allTakenMs, allCompletedMs } = first.timeline;
    context.log(
      `concurrency: first burst timeline: first enqueued ${seconds(firstEnqueuedMs)}, all enqueued ${seconds(allEnqueuedMs)}, all taken by the worker ${seconds(allTakenMs)}, all answered ${seconds(first.wallMs)}, all completed ${seconds(allCompletedMs)}`,
    );
    context.rows.push({
      scenario,
      metric:
        'first burst, from its start: the last call enqueued, i.e. through the API and admission (then: the queue empty again, every job taken by the worker; the upstream answers each in 1 s)',
      value: allEnqueuedMs / 1000,
      unit: 's',
      note: `first enqueued ${seconds(firstEnqueuedMs)}, all taken ${seconds(allTakenMs)}, all answered ${seconds(first.wallMs)}, all completed ${seconds(allCompletedMs)}`,
    });
    context.rows.push({
      scenario,
      metric: 'errors + non-2xx, both bursts',
      value: first.failures + second.failures,
      unit: '',
      target: '0',
      met: first.failures + second.failures === 0,
    });
    context.rows.push({
      scenario,
      metric: 'worker RSS growth, first burst (baseline: the bare client making the same calls straight to the upstream, no gateway code)',
      value: first.workerRssGrowthMb,
      unit: 'MB',
      baseline: direct.rssGrowthMb,
      target: '< 50 MB',
      met: first.workerRssGrowthMb < 50,
    });
    context.rows.push({ scenario, metric: 'worker RSS before the first burst (after the steady warm-up)', value: first.workerRssBeforeMb, unit: 'MB' });
    context.rows.push({ scenario, metric: 'worker RSS at the peak of the first burst', value: first.workerRssBeforeMb + first.workerRssGrowthMb, unit: 'MB' });
    context.rows.push({ scenario, metric: 'worker RSS growth per call, first burst', value: (first.workerRssGrowthMb * 1024) / calls, unit: 'KB' });
    context.rows.push({ scenario, metric: `CPU ms per call, first burst (${firstCpu.note})`, value: firstCpu.totalMs, unit: 'ms' });
    context.rows.push({
      scenario,
      metric: 'wall time, second burst: on the upstream connections the first left open',
      value: second.wallMs / 1000,
      unit: 's',
      baseline: direct.wallMs / 1000,
    });
    context.rows.push({ scenario, metric: 'worker RSS growth, second burst', value: second.workerRssGrowthMb, unit: 'MB', baseline: direct.rssGrowthMb });
    context.rows.push({ scenario, metric: `CPU ms per call, second burst (${secondCpu.note})`, value: secondCpu.totalMs, unit: 'ms' });
  } finally {
    await gateway.stop();
  }
}
