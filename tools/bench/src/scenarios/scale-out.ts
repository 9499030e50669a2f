import { runLoad } from '../load';
import { cpuDelta, cpuPerRequest, cpuSnapshot } from '../proc-stats';
import { chatBody, type ScenarioContext } from './context';

/** 1 API + 1 worker vs 2 APIs + 2 workers on the same Redis, 32 connections in all. */
export async function scaleOutScenario(context: ScenarioContext, single: number): Promise<void> {
  const gateway = await context.env.startGateway({ apis: 2, workers: 2 });
  try {
    await Promise.all(gateway.urls.map((url) => runLoad({ url: `${url}/v1/chat`, body: chatBody, connections: 8, durationSeconds: 2 })));
    const pids = { ...gateway.pids(), redis: context.env.redisPid, upstream: context.env.upstreamPid };
    const cpuBefore = cpuSnapshot(pids);
    const results = await Promise.all(
      gateway.urls.map((url) => runLoad({ url: `${url}/v1/chat`, body: chatBody, connections: 16, durationSeconds: context.durationSeconds })),
    );
    const cpu = cpuDelta(cpuBefore, cpuSnapshot(pids));
    const rps = results.reduce((sum, result) => sum + result.rps, 0);
    const perRequestCpu = cpuPerRequest(
      cpu,
      results.reduce((sum, result) => sum + result.requests, 0),
    );
    const p99 = Math.max(...results.map((result) => result.p99));
    context.log(`scale-out 2+2: ${rps.toFixed(0)} rps (1+1: ${single.toFixed(0)})`);
    context.rows.push({
      scenario: 'scale-out c=32',
      metric: '2 APIs + 2 workers requests/s',
      value: rps,
      unit: '',
      baseline: single,
      note: 'baseline: 1 API + 1 worker',
    });
    context.rows.push({ scenario: 'scale-out c=32', metric: '2 APIs + 2 workers p99', value: p99, unit: 'ms' });
    context.rows.push({
      scenario: 'scale-out c=32',
      metric: 'CPU ms / request, all processes',
      value: perRequestCpu.totalMs,
      unit: 'ms',
      note: `per request of all: ${perRequestCpu.note}`,
    });
  } finally {
    await gateway.stop();
  }
}
