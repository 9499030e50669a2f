import { startRedisCluster, type TestRedisCluster } from '@gateway/testing';
import { clusterLayout, flushScripts, nodeCommandCount, type ClusterLayout } from '../cluster-layout';
import { keyFamilies, shares, traceByFamily, type KeyFamily, type MasterTrace } from '../cluster-shares';
import { createApiKey, type Gateway } from '../environment';
import { startMonitor, type MonitoredCommand } from '../redis-monitor';
import { scriptNamer } from '../script-names';
import { spreadProjection } from '../spread-projection';
import { upstreamBody, type ScenarioContext } from './context';

const masters = 3;
const apiKeys = 100;
/** Sequential calls each key makes in the counted window (all keys at once). */
const callsPerKey = 20;
/** The default prefix: its tag `{gw}` puts the queue on a master of its own on a fresh 3-master cluster (slot 7373). */
const queuePrefix = 'gw';
const benchCommands = new Set(['info', 'monitor', 'echo', 'script', 'hello', 'cluster']);

/** Each key makes `calls` synchronous calls one after another, all keys at once; returns the calls answered 200. */
async function keyedCalls(url: string, secrets: readonly string[], calls: number): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  await Promise.all(
    secrets.map(async (secret) => {
      for (let index = 0; index < calls; index += 1) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
          body: JSON.stringify(upstreamBody),
        });
        await response.arrayBuffer();
        if (response.status === 200) ok += 1;
        else failed += 1;
      }
    }),
  );
  return { ok, failed };
}

const perCall = (value: number, calls: number) => (value / calls).toFixed(2);
const percent = (value: number) => `${value.toFixed(1)} %`;

/** The same calls on the bench's standalone Redis (admission fused with the add there): commands per call. */
async function standaloneCommandsPerCall(context: ScenarioContext): Promise<number> {
  const { env } = context;
  const gateway = await env.startGateway({ apis: 1, workers: 1, apiKey: true });
  try {
    const url = `${gateway.urls[0]}/v1/chat/completions`;
    const keys = await Promise.all(Array.from({ length: apiKeys }, (_, index) => createApiKey(gateway.urls[0] ?? '', `standalone-${index}`)));
    const secrets = keys.map((key) => key.secret);
    await keyedCalls(url, secrets, 2);
    const before = await env.commandCount();
    const { ok } = await keyedCalls(url, secrets, callsPerKey);
    return ((await env.commandCount()) - before) / Math.max(1, ok);
  } finally {
    await env.stopQuietly(gateway);
  }
}

/**
 * The gateway on a 3-master Redis Cluster, 1 API + 1 worker, 100 API keys making keyed synchronous calls at once:
 * the Redis commands each master serves (INFO commandstats before and after), and MONITOR on every master to sort
 * them by key family (queue, global ledger, per-key ledger and buckets, key store …) and by script. The same trace
 * gives the projection of per-key slots (spread-projection.ts). MONITOR slows Redis: the counts are the figure,
 * not the speed.
 */
export async function clusterScenario(context: ScenarioContext): Promise<void> {
  const { env } = context;
  const standalone = await standaloneCommandsPerCall(context);
  context.log(`cluster: the same calls on one standalone Redis: ${standalone.toFixed(1)} commands per call`);
  context.log('cluster: starting a 3-master Redis Cluster');
  const cluster = await startRedisCluster(masters);
  try {
    const layout = await clusterLayout(cluster.nodes);
    try {
      const gateway = await env.startGateway({
        apis: 1,
        workers: 1,
        apiKey: true,
        env: { REDIS_CLUSTER_NODES: cluster.nodes.join(','), QUEUE_PREFIX: queuePrefix },
      });
      try {
        await measureOnCluster(context, { cluster, layout, gateway, standalone });
      } finally {
        await env.stopQuietly(gateway);
      }
    } finally {
      layout.close();
    }
  } finally {
    await cluster.stop();
  }
}

/** The counted window on the cluster, and its sections and rows. */
async function measureOnCluster(
  context: ScenarioContext,
  setup: { cluster: TestRedisCluster; layout: ClusterLayout; gateway: Gateway; standalone: number },
): Promise<void> {
  const { cluster, layout, gateway, standalone } = setup;
  const url = `${gateway.urls[0]}/v1/chat/completions`;
  const keys = await Promise.all(Array.from({ length: apiKeys }, (_, index) => createApiKey(gateway.urls[0] ?? '', `cluster-${index}`)));
  const secrets = keys.map((key) => key.secret);
  context.log('cluster: warm-up');
  await keyedCalls(url, secrets, 2);
  const idleBefore = await Promise.all(cluster.nodes.map(nodeCommandCount));
  const idleSeconds = 2;
  await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
  const idleAfter = await Promise.all(cluster.nodes.map(nodeCommandCount));
  const idlePerSecond = idleAfter.map((after, index) => (after - (idleBefore[index] ?? 0)) / idleSeconds);

  const monitors = await Promise.all(cluster.nodes.map((node) => startMonitor(`redis://${node}`)));
  await flushScripts(cluster.nodes);
  const before = await Promise.all(cluster.nodes.map(nodeCommandCount));
  const started = Date.now();
  const { ok, failed } = await keyedCalls(url, secrets, callsPerKey);
  const seconds = (Date.now() - started) / 1000;
  const after = await Promise.all(cluster.nodes.map(nodeCommandCount));
  const traces = await Promise.all(monitors.map((monitor) => monitor.stop()));
  const served = after.map((value, index) => value - (before[index] ?? 0));
  const calls = Math.max(1, ok);
  context.log(`cluster: ${ok} calls (${failed} failed) in ${seconds.toFixed(1)} s; commands per master ${served.join(', ')}`);

  const queueTag = queuePrefix;
  const everything: MonitoredCommand[] = traces.flat();
  const nameOf = scriptNamer(process.cwd(), everything);
  const skip = (command: MonitoredCommand) => benchCommands.has((command.args[0] ?? '').toLowerCase()) && command.args[1]?.toLowerCase() !== 'slots';
  const byMaster: MasterTrace[] = traces.map((trace) => traceByFamily(trace, queueTag, nameOf, skip));
  const servedShares = shares(served);
  const masterName = (index: number) => `master ${index + 1} (:${cluster.nodes[index]?.split(':')[1]})`;

  const familyCell = (trace: MasterTrace) =>
    keyFamilies
      .filter((family) => (trace.byFamily.get(family) ?? 0) / calls >= 0.005)
      .map((family) => `${family} ${perCall(trace.byFamily.get(family) ?? 0, calls)}`)
      .join(', ');
  const masterLines = served.map(
    (value, index) =>
      `| ${masterName(index)} | ${value} | ${percent(servedShares[index] ?? 0)} | ${perCall(value, calls)} | ${(idlePerSecond[index] ?? 0).toFixed(0)} | ${familyCell(byMaster[index]!)} |`,
  );

  const tagOf: Record<string, string> = { queue: `{${queueTag}}`, spend: '{spend}', keys: '{keys}' };
  const homes = await Promise.all(Object.entries(tagOf).map(async ([name, tag]) => [name, await layout.masterOf(tag)] as const));
  const homeLines = homes.map(([name, index]) => `| \`${tagOf[name]}\` (${name}) | ${masterName(index)} |`);

  const scriptLines: string[] = [];
  const scripts = new Map<string, Map<KeyFamily, number>>();
  for (const trace of byMaster)
    for (const [script, families] of trace.byScript) {
      const sum = scripts.get(script) ?? new Map<KeyFamily, number>();
      for (const [family, count] of families) sum.set(family, (sum.get(family) ?? 0) + count);
      scripts.set(script, sum);
    }
  for (const [script, families] of [...scripts].sort((a, b) => sumOf(b[1]) - sumOf(a[1]))) {
    if (sumOf(families) / calls < 0.05) continue;
    const cells = keyFamilies
      .filter((family) => (families.get(family) ?? 0) / calls >= 0.005)
      .map((family) => `${family} ${perCall(families.get(family) ?? 0, calls)}`);
    scriptLines.push(`| ${script} | ${perCall(sumOf(families), calls)} | ${cells.join(', ')} |`);
  }

  const familyLines: string[] = [];
  for (const family of keyFamilies) {
    const commands = new Map<string, number>();
    for (const trace of byMaster) for (const [name, count] of trace.byCommand.get(family) ?? []) commands.set(name, (commands.get(name) ?? 0) + count);
    const total = [...commands.values()].reduce((sum, value) => sum + value, 0);
    if (total / calls < 0.005) continue;
    const cells = [...commands]
      .sort((a, b) => b[1] - a[1])
      .filter(([, count]) => count / calls >= 0.005)
      .map(([name, count]) => `${name} ${perCall(count, calls)}`);
    familyLines.push(`| ${family} | ${perCall(total, calls)} | ${cells.join(', ')} |`);
  }

  const projection = await spreadProjection(byMaster, served, keys, layout);
  const withJobs = await spreadProjection(byMaster, served, keys, layout, ['per-job billing']);
  const projectedShares = shares(projection.perMaster);
  const withJobsShares = shares(withJobs.perMaster);
  const projectionLines = projection.perMaster.map(
    (value, index) =>
      `| ${masterName(index)} | ${perCall(served[index] ?? 0, calls)} (${percent(servedShares[index] ?? 0)}) | ${perCall(value, calls)} (${percent(projectedShares[index] ?? 0)}) | ${perCall(withJobs.perMaster[index] ?? 0, calls)} (${percent(withJobsShares[index] ?? 0)}) |`,
  );
  const keySlots = projection.keysPerMaster.map((count, index) => `${masterName(index)}: ${count}`).join(', ');

  const section = `## Redis Cluster: the share of each master (${masters} masters, ${apiKeys} API keys)

${apiKeys} API keys (created through the admin API) each make ${callsPerKey} synchronous \`POST /v1/chat/completions\` one after another, all keys at once, through 1 API + 1 worker on a ${masters}-master Redis Cluster (no replicas): ${ok} calls answered 200, ${failed} not. Commands served per master from \`INFO commandstats\` before and after (the bench's own INFO, MONITOR, ECHO and SCRIPT left out); MONITOR on every master in the same window sorts them by key family (by the hash tag and name of the first key a command names; a script's own commands by theirs) and by script. Idle: commands per second each master serves with no calls (lock renewals, stalled-job checks, subscriptions), measured for ${idleSeconds} s before. The same calls on one standalone Redis (where admission and the add are one script): ${standalone.toFixed(1)} commands per call.

| master | commands | share | per call | idle / s | key families served (commands per call) |
|---|---|---|---|---|---|
${masterLines.join('\n')}

Where each hash tag lives:

| hash tag | master |
|---|---|
${homeLines.join('\n')}

Each family's commands (per call; a script call counts under its first key's family):

| family | commands / call | commands |
|---|---|---|
${familyLines.join('\n')}

Scripts, with the commands they run by family (per call; the call itself counts under its first key's family):

| script | commands / call | by family |
|---|---|---|
${scriptLines.join('\n')}

Projection from the same trace (commands per call, share): per-key ledgers and rate buckets on a slot of their own per API key (\`{key:<id>}\`; the ${apiKeys} keys' slots fall ${keySlots}), each script that touched both a key's keys and what stays in \`{spend}\` split in two (one more script call, on the key's master: ${perCall(projection.addedCalls, calls)} per call), everything else where it is; then the same with each job's billing record and calls hash in its key's slot too (${perCall(withJobs.addedCalls, calls)} more script calls per call):

| master | today | per-key slots | per-key slots and the jobs' records |
|---|---|---|---|
${projectionLines.join('\n')}
`;
  process.stdout.write(`\n${section}\n`);
  context.sections.push(section);
  const scenario = `redis cluster, ${masters} masters, ${apiKeys} keys`;
  const maxShare = Math.max(...servedShares);
  context.rows.push({
    scenario,
    metric: 'largest share of Redis commands on one master',
    value: maxShare,
    unit: '%',
    note: `shares ${servedShares.map((share) => share.toFixed(1)).join(' / ')} %; ${perCall(
      served.reduce((sum, value) => sum + value, 0),
      calls,
    )} commands per call in all (standalone Redis: ${standalone.toFixed(1)})`,
  });
  context.rows.push({
    scenario,
    metric: 'largest share, projected with per-key slots',
    value: Math.max(...projectedShares),
    unit: '%',
    note: `shares ${projectedShares.map((share) => share.toFixed(1)).join(' / ')} %`,
  });
  context.rows.push({
    scenario,
    metric: "largest share, projected with per-key slots and the jobs' records in them",
    value: Math.max(...withJobsShares),
    unit: '%',
    note: `shares ${withJobsShares.map((share) => share.toFixed(1)).join(' / ')} %`,
  });
}

const sumOf = (families: ReadonlyMap<KeyFamily, number>) => [...families.values()].reduce((sum, value) => sum + value, 0);
