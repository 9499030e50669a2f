import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSplit, interleavedComparison } from '../interleaved';
import { runLoad } from '../load';
import { chatBody, type ScenarioContext } from './context';

/**
 * Requests a gateway serves before it is measured against one that served many: a few seconds were not enough on a
 * busy machine (its first rounds then ran at half the rate of its later ones, its code not yet optimised).
 */
const WARM_UP_REQUESTS = 15_000;

/** Serves WARM_UP_REQUESTS at 32 connections: the gateway's JIT and connections as warm as the other side's. */
const warmUp = (url: string, headers: Record<string, string>) => runLoad({ url, body: chatBody, connections: 32, amount: WARM_UP_REQUESTS, headers });

/**
 * The cost of choosing a deployment and keeping its capacity (rpm, tpm and calls in flight shared in Redis): the
 * gateway with one deployment of GATEWAY_CONFIG_FILE carrying all three limits (high enough never to bind) against
 * the same gateway on the provider's implicit deployment, in alternating rounds of the same run.
 */
export async function deploymentOverheadRows(
  context: ScenarioContext,
  implicit: { url: string; pids: Record<string, number>; headers: Record<string, string> },
) {
  const { env, rows } = context;
  const path = join(mkdtempSync(join(tmpdir(), 'bench-deployments-')), 'gateway.yaml');
  writeFileSync(
    path,
    [
      'deployments:',
      `  - { id: or-bench, provider: openrouter, base_url: "${env.upstreamUrl}/api/v1", api_key_env: BENCH_DEPLOYMENT_KEY, rpm: 100000000, tpm: 100000000000, max_concurrency: 100000 }`,
    ].join('\n'),
  );
  const gateway = await env.startGateway({ apis: 1, workers: 1, apiKey: true, env: { GATEWAY_CONFIG_FILE: path, BENCH_DEPLOYMENT_KEY: 'bench-key' } });
  try {
    const url = `${gateway.urls[0]}/v1/chat`;
    await warmUp(url, gateway.headers);
    const shared = { redis: env.redisPid, upstream: env.upstreamPid };
    const compared = await interleavedComparison(
      { url, body: chatBody, pids: { ...gateway.pids(), ...shared }, headers: gateway.headers },
      { url: implicit.url, body: chatBody, pids: { ...implicit.pids, ...shared }, headers: implicit.headers },
      { connections: 32, rounds: 6, seconds: 2, commandCount: () => env.commandCount() },
    );
    const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    context.log(`one limited deployment vs the implicit one: ${rounds(compared.a)} vs ${rounds(compared.b)} rps; median ratio ${compared.ratio.toFixed(3)}`);
    context.log(
      `deployments CPU ms / request: ${compared.cpuMsPerRequestA.toFixed(3)} (${cpuSplit(compared.cpuByProcessA)}) vs implicit ${compared.cpuMsPerRequestB.toFixed(3)} (${cpuSplit(compared.cpuByProcessB)})`,
    );
    const scenario = 'deployments';
    rows.push({
      scenario,
      metric:
        'requests/s at 32 connections with one deployment of GATEWAY_CONFIG_FILE (rpm, tpm, max_concurrency), median (baseline: the implicit deployment; ratio: median of 6 alternating rounds)',
      value: compared.medianA,
      unit: '',
      baseline: compared.medianB,
      ratio: compared.ratio,
      note: `deployment ${rounds(compared.a)}; implicit ${rounds(compared.b)}`,
      target: '≥ 0.95×',
      met: compared.ratio >= 0.95,
    });
    if (compared.commandsA !== undefined && compared.commandsB !== undefined) {
      const added = compared.commandsA - compared.commandsB;
      rows.push({
        scenario,
        metric: 'Redis commands / request added by the choice and the capacity bookkeeping (baseline: the implicit deployment)',
        value: added,
        unit: '',
        baseline: compared.commandsB,
        note: `${compared.commandsA.toFixed(1)} vs ${compared.commandsB.toFixed(1)} per request`,
        target: '≤ +4',
        met: added <= 4,
      });
    }
  } finally {
    await gateway.stop();
  }
}

/** The deployments' comparison alone (--only=deployments): an implicit gateway of its own, warmed up the same way. */
export async function deploymentsScenario(context: ScenarioContext): Promise<void> {
  const implicit = await context.env.startGateway({ apis: 1, workers: 1, apiKey: true });
  try {
    const url = `${implicit.urls[0]}/v1/chat`;
    await warmUp(url, implicit.headers);
    await deploymentOverheadRows(context, { url, pids: implicit.pids(), headers: implicit.headers });
  } finally {
    await implicit.stop();
  }
}
