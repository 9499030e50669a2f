import { interleavedComparison } from '../interleaved';
import { runLoad } from '../load';
import { chatBody, type ScenarioContext } from './context';

/**
 * Limits on (rate limit and budgets, set high enough never to refuse) against limits off: two gateways on the
 * same Redis and upstream, loaded in alternating short runs at 32 connections.
 */
export async function limitsScenario(context: ScenarioContext): Promise<void> {
  const { env } = context;
  const on = await env.startGateway({ apis: 1, workers: 1 });
  const off = await env.startGateway({ apis: 1, workers: 1, env: { GATEWAY_LIMITS_ENABLED: 'false' } });
  try {
    context.log('limits: warm-up');
    for (const gateway of [on, off]) await runLoad({ url: `${gateway.urls[0]}/v1/chat`, body: chatBody, connections: 16, durationSeconds: 2 });
    const shared = { redis: env.redisPid, upstream: env.upstreamPid };
    const result = await interleavedComparison(
      { url: `${on.urls[0]}/v1/chat`, body: chatBody, pids: { ...on.pids(), ...shared } },
      { url: `${off.urls[0]}/v1/chat`, body: chatBody, pids: { ...off.pids(), ...shared } },
      { connections: 32, rounds: 6, seconds: 2, commandCount: () => env.commandCount() },
    );
    const loss = 1 - result.ratio;
    const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    context.log(`limits: on ${rounds(result.a)} rps; off ${rounds(result.b)} rps; median ratio ${result.ratio.toFixed(3)}`);
    const scenario = 'limits on c=32';
    const note = `6 alternating 2 s runs each; on: ${rounds(result.a)}; off: ${rounds(result.b)}`;
    context.rows.push({ scenario, metric: 'requests/s, median (baseline: limits off)', value: result.medianA, unit: '', baseline: result.medianB, note });
    context.rows.push({
      scenario,
      metric: 'throughput lost to the limit checks (median of the per-round ratios)',
      value: loss * 100,
      unit: '%',
      target: '< 10 %',
      met: loss < 0.1,
    });
    context.rows.push({
      scenario,
      metric: 'CPU ms / request, all processes (baseline: limits off)',
      value: result.cpuMsPerRequestA,
      unit: 'ms',
      baseline: result.cpuMsPerRequestB,
    });
    if (result.commandsA !== undefined && result.commandsB !== undefined) {
      context.rows.push({ scenario, metric: 'Redis commands / request (baseline: limits off)', value: result.commandsA, unit: '', baseline: result.commandsB });
    }
  } finally {
    await Promise.all([env.stopQuietly(on), env.stopQuietly(off)]);
  }
}
