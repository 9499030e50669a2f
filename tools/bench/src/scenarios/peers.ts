import { interleavedComparison } from '../interleaved';
import { runLoad } from '../load';
import { portkeyEntry, startPortkey } from '../portkey';
import { runSequentialInterleaved } from '../sequential';
import { upstreamBody, type ScenarioContext } from './context';

/**
 * Portkey's gateway (a plain proxy, no queue) beside this one on the same fake upstream, when it is installed
 * (`npm install --no-save @portkey-ai/gateway@1.15.2`; never a dependency of the product): added latency at one
 * connection, then throughput, p99 and CPU per request at 32 connections in alternating rounds, compared
 * non-streamed (its streaming fails on Node 20).
 */
export async function peersScenario(context: ScenarioContext): Promise<void> {
  const entry = portkeyEntry(process.cwd());
  if (!entry) {
    context.log('peers: @portkey-ai/gateway is not installed (npm install --no-save @portkey-ai/gateway@1.15.2): skipped');
    return;
  }
  const { env, rows } = context;
  const portkey = await startPortkey(entry, env.upstreamUrl);
  const gateway = await env.startGateway({ apis: 1, workers: 1, apiKey: true });
  const headers = gateway.headers;
  try {
    const ours = `${gateway.urls[0]}/v1/chat/completions`;
    context.log('peers: warm-up');
    await runLoad({ url: ours, body: upstreamBody, connections: 16, durationSeconds: 2, headers });
    await runLoad({ url: portkey.url, body: upstreamBody, connections: 16, durationSeconds: 2, headers: portkey.headers });
    const [direct, through, peer] = await runSequentialInterleaved(
      [
        { url: `${env.upstreamUrl}/api/v1/chat/completions`, body: upstreamBody },
        { url: ours, body: upstreamBody, headers },
        { url: portkey.url, body: upstreamBody, headers: portkey.headers },
      ],
      1000,
    );
    const scenario = 'peers';
    const added = (result: typeof direct, percentile: 'p50' | 'p99') => result![percentile] - direct![percentile];
    context.log(
      `peers c=1: added p50 gateway ${added(through, 'p50').toFixed(2)} ms, portkey ${added(peer, 'p50').toFixed(2)} ms; added p99 gateway ${added(through, 'p99').toFixed(2)} ms, portkey ${added(peer, 'p99').toFixed(2)} ms`,
    );
    rows.push({
      scenario,
      metric: 'added p50 at 1 connection, this gateway (baseline: Portkey’s gateway; 1,000 sequential, interleaved)',
      value: added(through, 'p50'),
      unit: 'ms',
      baseline: added(peer, 'p50'),
    });
    rows.push({
      scenario,
      metric: 'added p99 at 1 connection, this gateway (baseline: Portkey’s gateway)',
      value: added(through, 'p99'),
      unit: 'ms',
      baseline: added(peer, 'p99'),
    });
    const shared = { redis: env.redisPid, upstream: env.upstreamPid };
    const compared = await interleavedComparison(
      { url: ours, body: upstreamBody, pids: { ...gateway.pids(), ...shared }, headers },
      { url: portkey.url, body: upstreamBody, pids: { portkey: portkey.pid, upstream: env.upstreamPid }, headers: portkey.headers },
      { connections: 32, rounds: 6, seconds: 2 },
    );
    const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    context.log(
      `peers c=32: gateway ${rounds(compared.a)} vs portkey ${rounds(compared.b)} rps; ratio ${compared.ratio.toFixed(2)}; p99 ${compared.p99A} vs ${compared.p99B} ms`,
    );
    rows.push({
      scenario,
      metric:
        'this gateway’s /v1/chat/completions requests/s at 32 connections, median (baseline: Portkey’s gateway 1.15.2, a plain proxy; ratio: median of 6 alternating rounds)',
      value: compared.medianA,
      unit: '',
      baseline: compared.medianB,
      ratio: compared.ratio,
      note: `gateway ${rounds(compared.a)}; portkey ${rounds(compared.b)}`,
      target: '≥ 2.5×',
      met: compared.ratio >= 2.5,
      goal: 'peer-throughput',
    });
    rows.push({
      scenario,
      metric: 'p99 at 32 connections, median of the rounds (baseline: Portkey’s gateway)',
      value: compared.p99A,
      unit: 'ms',
      baseline: compared.p99B,
      target: 'below Portkey’s',
      met: compared.p99A < compared.p99B,
      goal: 'peer-p99',
    });
    rows.push({
      scenario,
      metric: 'CPU ms / request, all processes (gateway: API, worker, Redis, upstream; Portkey: its process, upstream)',
      value: compared.cpuMsPerRequestA,
      unit: 'ms',
      baseline: compared.cpuMsPerRequestB,
    });
  } finally {
    portkey.stop();
    await env.stopQuietly(gateway);
  }
}
