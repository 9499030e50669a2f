import { cpuDelta, cpuPerRequest, cpuSnapshot, processFootprint, writeSnapshot, writesPerRequest } from '../proc-stats';
import { runLoad, type LoadResult } from '../load';
import { bullmqCommandsPerJob } from '../bullmq-floor';
import { runSequentialInterleaved, type SequentialResult } from '../sequential';
import { interleavedComparison } from '../interleaved';
import { startLeanPath } from '../lean-path';
import { chatBody, routeExists, upstreamBody, type ScenarioContext } from './context';
import { deploymentOverheadRows } from './deployment-overhead';

/** Direct to the upstream vs through the gateway, at 1 and 32 connections; also Redis commands and CPU per request. */
export async function overheadScenario(context: ScenarioContext): Promise<Record<number, LoadResult>> {
  const { env, rows } = context;
  // Calls made with an API key (its lookup, rate limit and budgets) on top of the global limits and budgets.
  const gateway = await env.startGateway({ apis: 1, workers: 1, apiKey: true });
  const headers = gateway.headers;
  const gatewayResults: Record<number, LoadResult> = {};
  try {
    const directUrl = `${env.upstreamUrl}/api/v1/chat/completions`;
    const chatUrl = `${gateway.urls[0]}/v1/chat`;
    context.log('overhead: warm-up');
    await runLoad({ url: chatUrl, body: chatBody, connections: 16, durationSeconds: 2, headers });
    // autocannon rounds latencies to whole milliseconds: time 1-connection calls ourselves, the upstream alone and
    // each route in turn, so the added figures compare the same seconds.
    const completionsUrl = `${gateway.urls[0]}/v1/chat/completions`;
    const hasCompletions = await routeExists(completionsUrl, { model: 'bench', messages: upstreamBody.messages }, headers);
    const [sequentialDirect, sequentialThrough, sequentialCompletions] = await runSequentialInterleaved(
      [
        { url: directUrl, body: upstreamBody },
        { url: chatUrl, body: chatBody, headers },
        ...(hasCompletions ? [{ url: completionsUrl, body: upstreamBody, headers }] : []),
      ],
      1000,
    );
    const describe = (result: SequentialResult) => `p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms`;
    context.log(
      `sequential: direct ${describe(sequentialDirect!)}; /v1/chat ${describe(sequentialThrough!)}${sequentialCompletions ? `; /v1/chat/completions ${describe(sequentialCompletions)}` : ''}`,
    );
    const addedRows = (route: string, result: SequentialResult, goals: boolean) => {
      const addedP50 = result.p50 - sequentialDirect!.p50;
      const addedP99 = result.p99 - sequentialDirect!.p99;
      const note = `${route}; the upstream alone p50 ${sequentialDirect!.p50.toFixed(2)} ms, p99 ${sequentialDirect!.p99.toFixed(2)} ms`;
      rows.push({
        scenario: 'overhead c=1',
        metric: 'added p50 (1,000 sequential, interleaved with the upstream alone)',
        value: addedP50,
        unit: 'ms',
        note,
        target: '≤ 1.0 ms',
        met: addedP50 <= 1,
        ...(goals ? { goal: 'added-p50' } : {}),
      });
      rows.push({
        scenario: 'overhead c=1',
        metric: 'added p99 (1,000 sequential, interleaved with the upstream alone)',
        value: addedP99,
        unit: 'ms',
        note: route,
        target: '≤ 3 ms',
        met: addedP99 <= 3,
        ...(goals ? { goal: 'added-p99' } : {}),
      });
    };
    addedRows('POST /v1/chat', sequentialThrough!, !sequentialCompletions);
    if (sequentialCompletions) addedRows('POST /v1/chat/completions', sequentialCompletions, true);
    for (const connections of [1, 32]) {
      const direct = await runLoad({ url: directUrl, body: upstreamBody, connections, durationSeconds: context.durationSeconds });
      const pids = { ...gateway.pids(), redis: env.redisPid, upstream: env.upstreamPid };
      const cpuBefore = cpuSnapshot(pids);
      const writesBefore = writeSnapshot(pids);
      const commandsBefore = await env.commandCount();
      const through = await runLoad({ url: chatUrl, body: chatBody, connections, durationSeconds: context.durationSeconds, headers });
      const commands = (await env.commandCount()) - commandsBefore;
      const cpu = cpuDelta(cpuBefore, cpuSnapshot(pids));
      const writesAfter = writeSnapshot(pids);
      gatewayResults[connections] = through;
      context.log(
        `overhead c=${connections}: gateway ${through.rps.toFixed(0)} rps p50 ${through.p50} ms p99 ${through.p99} ms; direct ${direct.rps.toFixed(0)} rps p50 ${direct.p50} ms`,
      );
      const scenario = `overhead c=${connections}`;
      const okRequests = Math.max(1, through.requests - through.non2xx - through.errors);
      // The throughput target is judged on the median of the alternating rounds against the lean path (below).
      rows.push({ scenario, metric: 'requests/s (one 5 s run)', value: through.rps, unit: '', baseline: direct.rps });
      rows.push({ scenario, metric: 'p50', value: through.p50, unit: 'ms', baseline: direct.p50 });
      rows.push({
        scenario,
        metric: 'p99',
        value: through.p99,
        unit: 'ms',
        baseline: direct.p99,
        ...(connections === 32 ? { target: '≤ 40 ms', met: through.p99 <= 40 } : {}),
      });
      if (through.errors + through.non2xx > 0) rows.push({ scenario, metric: 'errors + non-2xx', value: through.errors + through.non2xx, unit: '' });
      if (connections === 32) {
        const perRequest = commands / okRequests;
        const floor = await bullmqCommandsPerJob(env.redis.url, () => env.commandCount());
        const leanestFloor = await bullmqCommandsPerJob(env.redis.url, () => env.commandCount(), 'leanest');
        rows.push({
          scenario,
          metric: 'Redis commands / request',
          value: perRequest,
          unit: '',
          baseline: floor,
          note: 'baseline: stock BullMQ add → process → complete, no gateway code',
          target: '≤ 50',
          met: perRequest <= 50,
        });
        rows.push({
          scenario,
          metric: 'Redis commands / job of stock BullMQ with its leanest options (removeOnComplete: true), no gateway code',
          value: leanestFloor,
          unit: '',
          note: 'what a target of 50 leaves for admission, billing and the reply',
        });
        const perRequestCpu = cpuPerRequest(cpu, okRequests);
        rows.push({ scenario, metric: 'CPU ms / request, all processes', value: perRequestCpu.totalMs, unit: 'ms', note: perRequestCpu.note });
        const writes = writesPerRequest(writesBefore, writesAfter, okRequests);
        rows.push({
          scenario,
          metric: 'write system calls / request (socket writes; one per Redis command sent alone, per HTTP answer…)',
          value: writes.total,
          unit: '',
          note: writes.note,
        });
        rows.push({
          scenario,
          metric: `CPU seconds over the run, and peak RSS, per process (${processFootprint(cpu, pids)})`,
          value: Object.values(cpu).reduce((sum, seconds) => sum + seconds, 0),
          unit: 's',
        });
      }
    }
    await leanPathRows(context, { url: chatUrl, pids: gateway.pids(), headers });
    await deploymentOverheadRows(context, { url: chatUrl, pids: gateway.pids(), headers });
    if (hasCompletions) {
      const completions = await runLoad({ url: completionsUrl, body: upstreamBody, connections: 32, durationSeconds: context.durationSeconds, headers });
      rows.push({ scenario: 'overhead c=32', metric: '/v1/chat/completions requests/s', value: completions.rps, unit: '', baseline: gatewayResults[32]?.rps });
      rows.push({ scenario: 'overhead c=32', metric: '/v1/chat/completions p99', value: completions.p99, unit: 'ms' });
    }
  } finally {
    await gateway.stop();
  }
  return gatewayResults;
}

/**
 * The lean stock path (express → BullMQ → worker → upstream → pub/sub, nothing else) in the same run: the ceiling
 * for a gateway on these parts, against which the speed targets can be judged.
 */
async function leanPathRows(context: ScenarioContext, gateway: { url: string; pids: Record<string, number>; headers: Record<string, string> }): Promise<void> {
  const { env, rows } = context;
  const lean = await startLeanPath(env.redis.url, env.upstreamUrl, env.profileDir);
  try {
    await runLoad({ url: lean.url, body: chatBody, connections: 16, durationSeconds: 2 });
    const [direct, sequential] = (await runSequentialInterleaved(
      [
        { url: `${env.upstreamUrl}/api/v1/chat/completions`, body: upstreamBody },
        { url: lean.url, body: chatBody },
      ],
      1000,
    )) as [SequentialResult, SequentialResult];
    const pids = { ...lean.pids, redis: env.redisPid, upstream: env.upstreamPid };
    const cpuBefore = cpuSnapshot(pids);
    const writesBefore = writeSnapshot(pids);
    const load = await runLoad({ url: lean.url, body: chatBody, connections: 32, durationSeconds: context.durationSeconds });
    const cpu = cpuDelta(cpuBefore, cpuSnapshot(pids));
    const writesAfter = writeSnapshot(pids);
    const requests = Math.max(1, load.requests - load.non2xx - load.errors);
    const perRequestCpu = cpuPerRequest(cpu, requests);
    context.log(
      `lean stock path: c=1 added p50 ${(sequential.p50 - direct.p50).toFixed(2)} ms; c=32 ${load.rps.toFixed(0)} rps p99 ${load.p99} ms, ${perRequestCpu.totalMs.toFixed(2)} ms CPU/request`,
    );
    const scenario = 'lean stock path';
    const note = 'express → BullMQ → worker → upstream → pub/sub, nothing else';
    rows.push({ scenario, metric: 'added p50 at 1 connection (1,000 sequential)', value: sequential.p50 - direct.p50, unit: 'ms', note });
    rows.push({ scenario, metric: 'added p99 at 1 connection (1,000 sequential)', value: sequential.p99 - direct.p99, unit: 'ms' });
    // The gateway against this path in alternating short runs: the ratio the drift of the machine leaves alone.
    const shared = { redis: env.redisPid, upstream: env.upstreamPid };
    const compared = await interleavedComparison(
      { url: gateway.url, body: chatBody, pids: { ...gateway.pids, ...shared }, headers: gateway.headers },
      { url: lean.url, body: chatBody, pids: pids },
      { connections: 32, rounds: 6, seconds: 2, commandCount: () => env.commandCount() },
    );
    const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    context.log(`gateway vs lean path: ${rounds(compared.a)} vs ${rounds(compared.b)} rps; median ratio ${compared.ratio.toFixed(3)}`);
    rows.push({
      scenario,
      metric: 'gateway /v1/chat requests/s at 32 connections, median (baseline: this path; ratio: median of 6 alternating rounds)',
      value: compared.medianA,
      unit: '',
      baseline: compared.medianB,
      ratio: compared.ratio,
      note: `gateway ${rounds(compared.a)}; lean ${rounds(compared.b)}`,
      target: '≥ 0.85×',
      met: compared.ratio >= 0.85,
      goal: 'throughput-lean',
    });
    const cpuRatio = compared.cpuMsPerRequestA / compared.cpuMsPerRequestB;
    rows.push({
      scenario,
      metric: 'CPU ms / request over those rounds, all processes (baseline: this path)',
      value: compared.cpuMsPerRequestA,
      unit: 'ms',
      baseline: compared.cpuMsPerRequestB,
      target: '≤ 1.2×',
      met: cpuRatio <= 1.2,
      goal: 'cpu-lean',
    });
    rows.push({
      scenario,
      metric: 'Redis commands / request over those rounds (baseline: this path; INFO commandstats)',
      value: compared.commandsA ?? NaN,
      unit: '',
      baseline: compared.commandsB ?? NaN,
    });
    rows.push({ scenario, metric: 'requests/s at 32 connections', value: load.rps, unit: '', note });
    rows.push({ scenario, metric: 'p99 at 32 connections', value: load.p99, unit: 'ms' });
    rows.push({ scenario, metric: 'CPU ms / request, all processes', value: perRequestCpu.totalMs, unit: 'ms', note: perRequestCpu.note });
    const writes = writesPerRequest(writesBefore, writesAfter, requests);
    rows.push({ scenario, metric: 'write system calls / request', value: writes.total, unit: '', note: writes.note });
  } finally {
    await lean.stop();
  }
}
