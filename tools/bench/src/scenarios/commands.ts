import { Redis } from 'ioredis';
import { attributeCommands, phases, type PhaseCount } from '../command-phases';
import { runLoad } from '../load';
import { startMonitor, type MonitoredCommand } from '../redis-monitor';
import { scriptNamer } from '../script-names';
import { socketOwners } from '../socket-owners';
import { upstreamBody, type ScenarioContext } from './context';

/** Requests of the counted window (after the scripts are learned). */
const requests = 2000;
const connections = 32;

/**
 * Redis commands of one synchronous `POST /v1/chat/completions`, per phase: MONITOR records every command Redis
 * runs (those inside Lua scripts too) while a fixed number of requests go through one API and one worker at 32
 * connections; each client connection is traced to its process through /proc, each EVALSHA named by its script.
 * The total is checked against `INFO commandstats` over the same window. MONITOR slows Redis, so the window's
 * speed means nothing; the counts are what it measures.
 */
export async function commandsScenario(context: ScenarioContext): Promise<void> {
  // A tenant's call (an API key: its lookup, its own rate limit and budgets, billing per key) is the one judged.
  await measureCommands(context, true);
  await measureCommands(context, false);
}

async function measureCommands(context: ScenarioContext, apiKey: boolean): Promise<void> {
  const { env } = context;
  const who = apiKey ? 'with an API key' : 'anonymous';
  const gateway = await env.startGateway({ apis: 1, workers: 1, apiKey });
  const headers = gateway.headers;
  const admin = new Redis(env.redis.url);
  try {
    const url = `${gateway.urls[0]}/v1/chat/completions`;
    context.log(`commands ${who}: warm-up`);
    await runLoad({ url, body: upstreamBody, connections: 16, durationSeconds: 2, headers });
    // Every script is then sent once as EVAL (after NOSCRIPT), so the trace carries the sources that name them.
    // Watched from before the flush: calls the warm-up left in flight reload their scripts right after it.
    const monitor = await startMonitor(env.redis.url);
    await admin.script('FLUSH');
    await runLoad({ url, body: upstreamBody, connections, amount: 200, headers });
    const learned = await monitor.stop();
    const namer = (trace: MonitoredCommand[]) => scriptNamer(process.cwd(), [...learned, ...trace]);
    const owners = () => socketOwners({ ...gateway.pids(), bench: process.pid });
    const { counts, ok, total, statsTotal } = await countWindow(context, { url, headers, connections, amount: requests }, owners, namer);
    context.log(`commands ${who}: ${ok} requests, ${total.toFixed(1)} commands/request from MONITOR, ${statsTotal.toFixed(1)} from INFO commandstats`);
    // At one connection every job is fetched on its own (no next job waiting when one finishes).
    const single = apiKey ? await countWindow(context, { url, headers, connections: 1, amount: 300 }, owners, namer) : undefined;
    if (single) context.log(`commands ${who}, one connection: ${single.total.toFixed(1)} commands/request`);
    const table = phaseTable(counts, ok);
    process.stdout.write(`\n${table}\n\n`);
    const calls = apiKey
      ? 'made with an API key (its lookup, its own rate limit and budgets, billing per key) and the global limits and budgets on'
      : 'made without a key (open gateway), the global limits and budgets on';
    const singleTable = single ? `\n\nThe same calls one at a time (300 at 1 connection):\n\n${phaseTable(single.counts, single.ok)}` : '';
    context.sections.push(
      `## Redis commands per synchronous request, by phase, ${who}\n\n${requests} \`POST /v1/chat/completions\` at ${connections} connections through 1 API + 1 worker, ${calls}; every command Redis ran (MONITOR, including those inside Lua scripts), per request. A script's round trip counts in the phase of the script; the commands it runs count where their keys belong (the admission gate's rate and budget keys inside the fused admit-and-add script are admission, the reply PUBLISH inside the settle script is reply). Background is what runs by the clock (lock renewal, stalled-job checks, subscriptions), not per request.\n\n${table}${singleTable}\n`,
    );
    const scenario = `redis commands, ${who}`;
    const byPhase = sumByPhase(counts, ok);
    for (const phase of phases) {
      const entry = byPhase.get(phase);
      if (!entry) continue;
      context.rows.push({ scenario, metric: `${phase}: commands / request (round trips ${entry.roundTrips.toFixed(2)})`, value: entry.commands, unit: '' });
    }
    context.rows.push({
      scenario,
      metric: 'Redis commands / synchronous request, all phases',
      value: total,
      unit: '',
      note: `MONITOR over ${ok} requests at ${connections} connections; INFO commandstats over the same window ${statsTotal.toFixed(1)}`,
      target: '≤ 50',
      met: total <= 50,
      ...(apiKey ? { goal: 'commands' } : {}),
    });
    if (single)
      context.rows.push({
        scenario,
        metric: 'Redis commands / synchronous request at 1 connection (300 sequential)',
        value: single.total,
        unit: '',
        note: `round trips ${(single.counts.reduce((sum, entry) => sum + entry.roundTrips, 0) / single.ok).toFixed(2)}`,
      });
  } finally {
    admin.disconnect();
    await env.stopQuietly(gateway);
  }
}

/** One MONITOR window of `amount` requests at `connections`: the commands by phase, and INFO commandstats beside. */
async function countWindow(
  context: ScenarioContext,
  load: { url: string; headers: Record<string, string>; connections: number; amount: number },
  owners: () => Map<string, string>,
  namer: (trace: MonitoredCommand[]) => (sha: string) => string,
): Promise<{ counts: PhaseCount[]; ok: number; total: number; statsTotal: number }> {
  const { env } = context;
  const monitor = await startMonitor(env.redis.url);
  const commandsBefore = await env.commandCount();
  const result = await runLoad({ url: load.url, body: upstreamBody, connections: load.connections, amount: load.amount, headers: load.headers });
  const commandsAfter = await env.commandCount();
  const trace = await monitor.stop();
  const ok = Math.max(1, result.requests - result.errors - result.non2xx);
  // The bench's own commands (INFO, MONITOR, the end marker's ECHO) are not the gateway's.
  const counts = attributeCommands(trace, owners(), namer(trace)).filter(
    (entry) => entry.owner !== 'bench' && !(entry.owner === 'unknown' && ['echo', 'info', 'monitor'].includes(entry.step)),
  );
  const total = counts.reduce((sum, entry) => sum + entry.commands, 0) / ok;
  // INFO commandstats counts the bench's own INFO, MONITOR and ECHO too: a handful over the window.
  return { counts, ok, total, statsTotal: (commandsAfter - commandsBefore) / ok };
}

function sumByPhase(counts: readonly PhaseCount[], requests: number): Map<string, { commands: number; roundTrips: number }> {
  const sums = new Map<string, { commands: number; roundTrips: number }>();
  for (const entry of counts) {
    const sum = sums.get(entry.phase) ?? { commands: 0, roundTrips: 0 };
    sum.commands += entry.commands / requests;
    sum.roundTrips += entry.roundTrips / requests;
    sums.set(entry.phase, sum);
  }
  return sums;
}

/** The markdown table: one row per phase and step, then each phase's subtotal, then the total. */
export function phaseTable(counts: readonly PhaseCount[], requests: number): string {
  const lines = [
    '| phase | step (script or command) | sent by | round trips / request | commands / request | of which (per request) |',
    '|---|---|---|---|---|---|',
  ];
  const fixed = (value: number) => value.toFixed(2);
  const byPhase = sumByPhase(counts, requests);
  for (const phase of phases) {
    const entries = counts.filter((entry) => entry.phase === phase);
    if (entries.length === 0) continue;
    for (const entry of entries) {
      if (entry.commands / requests < 0.005) continue;
      const inside = Object.entries(entry.byCommand)
        .sort((a, b) => b[1] - a[1])
        .filter(([, count]) => count / requests >= 0.005)
        .map(([command, count]) => `${command} ${fixed(count / requests)}`)
        .join(', ');
      lines.push(`| ${phase} | ${entry.step} | ${entry.owner} | ${fixed(entry.roundTrips / requests)} | ${fixed(entry.commands / requests)} | ${inside} |`);
    }
    const sum = byPhase.get(phase)!;
    lines.push(`| **${phase}** | | | **${fixed(sum.roundTrips)}** | **${fixed(sum.commands)}** | |`);
  }
  const all = [...byPhase.values()].reduce((sum, entry) => ({ commands: sum.commands + entry.commands, roundTrips: sum.roundTrips + entry.roundTrips }), {
    commands: 0,
    roundTrips: 0,
  });
  lines.push(`| **total** | | | **${fixed(all.roundTrips)}** | **${fixed(all.commands)}** | target ≤ 50 |`);
  return lines.join('\n');
}
