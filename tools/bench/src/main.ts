import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBareClientBurst } from './bare-client-burst';
import { serveFakeUpstream } from './fake-upstream';
import { serveLaneApi, serveLaneWorker } from './lane-queues';
import { serveLeanApi, serveLeanWorker } from './lean-path';
import { createBenchEnvironment } from './environment';
import { latencyChart, type CurvePoint } from './plot';
import { machineDescription } from './proc-stats';
import { summarizeProfileDir } from './profile-summary';
import { printRows, toMarkdownTable, type ResultRow } from './report';
import { commandsScenario } from './scenarios/commands';
import { concurrencyScenario } from './scenarios/concurrency';
import { latencyPhasesScenario } from './scenarios/latency-phases';
import type { ScenarioContext } from './scenarios/context';
import { overheadScenario } from './scenarios/overhead';
import { peersScenario } from './scenarios/peers';
import { scaleOutScenario } from './scenarios/scale-out';
import { sweepScenario } from './scenarios/sweep';
import { optionalScenarios } from './scenarios/optional';
import { targetsTable } from './targets';
import { featuresScenario } from './scenarios/features';
import { clusterScenario } from './scenarios/cluster';
import { defaultScale, scaleScenario } from './scenarios/scale';
import { runStreamHold } from './stream-hold';

const all = [
  'overhead',
  'commands',
  'latency-phases',
  'limits',
  'streaming',
  'responses',
  'messages',
  'tool-streaming',
  'concurrency',
  'batch',
  'lanes',
  'embeddings',
  'operating',
  'response-cache',
  'scale-out',
  'sweep',
] as const;

function parseArgs(argv: readonly string[]) {
  const only = argv
    .find((arg) => arg.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const duration = Number(argv.find((arg) => arg.startsWith('--duration='))?.slice('--duration='.length) ?? 5);
  const profileDir = argv.find((arg) => arg.startsWith('--profile='))?.slice('--profile='.length);
  const scenarios = new Set<string>(only ?? all);
  const number = (name: string, fallback: number) => {
    const value = Number(argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3));
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  // Thousands of minute-long streams (opt-in: --only=scale); shorter with --scale-streams= and --scale-seconds=.
  const scale = {
    streams: number('scale-streams', defaultScale.streams),
    seconds: number('scale-seconds', defaultScale.seconds),
    intervalMs: number('scale-interval', defaultScale.intervalMs),
  };
  // Peers (another gateway installed beside this one, never a dependency) run only when asked for.
  if (argv.includes('--peers')) scenarios.add('peers');
  // What each feature of the hot path costs (opt-in: --only=features).
  return { scenarios, scale, durationSeconds: duration, write: !argv.includes('--no-write') && !profileDir, profileDir };
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve-upstream')) return serveFakeUpstream();
  if (process.argv.includes('--lean-api')) return serveLeanApi();
  if (process.argv.includes('--lean-worker')) return serveLeanWorker();
  if (process.argv.includes('--lanes-api')) return serveLaneApi();
  if (process.argv.includes('--lanes-worker')) return serveLaneWorker();
  if (process.argv.includes('--bare-client-burst')) return runBareClientBurst();
  if (process.argv.includes('--stream-hold')) return runStreamHold();
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const log = (message: string) => process.stdout.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  if (args.profileDir) rmSync(args.profileDir, { recursive: true, force: true });
  const env = await createBenchEnvironment(args.profileDir ? { profileDir: args.profileDir } : {});
  const rows: ResultRow[] = [];
  const curves: Record<string, CurvePoint[]> = {};
  const sections: string[] = [];
  const context: ScenarioContext = { env, rows, curves, sections, durationSeconds: args.durationSeconds, log };
  try {
    let singleRps = NaN;
    if (args.scenarios.has('overhead')) singleRps = (await overheadScenario(context))[32]?.rps ?? NaN;
    if (args.scenarios.has('commands')) await commandsScenario(context);
    if (args.scenarios.has('latency-phases')) await latencyPhasesScenario(context);
    await optionalScenarios(context, args.scenarios);
    if (args.scenarios.has('concurrency')) await concurrencyScenario(context);
    if (args.scenarios.has('scale-out')) await scaleOutScenario(context, singleRps);
    if (args.scenarios.has('sweep')) await sweepScenario(context, [100, 400, 800, 1100, 1400, 1700, 2000]);
    if (args.scenarios.has('peers')) await peersScenario(context);
    if (args.scenarios.has('features')) await featuresScenario(context);
    // A 3-master Redis Cluster of its own (opt-in: --only=cluster).
    if (args.scenarios.has('cluster')) await clusterScenario(context);
    if (args.scenarios.has('scale')) await scaleScenario(context, args.scale);
  } finally {
    await env.stop();
  }
  printRows(rows);
  process.stdout.write(`Targets:\n\n${targetsTable(rows)}\n\n`);
  if (args.profileDir) process.stdout.write(`\n${summarizeProfileDir(args.profileDir)}\n`);
  const seconds = (Date.now() - started) / 1000;
  log(`done in ${seconds.toFixed(0)} s`);
  if (!args.write) return;
  const docs = join(process.cwd(), 'docs');
  mkdirSync(docs, { recursive: true });
  if (Object.keys(curves).length > 0)
    writeFileSync(join(docs, 'bench-latency.svg'), latencyChart(curves, 'POST /v1/chat vs the upstream alone: latency against offered load (open loop)'));
  writeFileSync(join(docs, 'BENCHMARKS.md'), renderDocument(rows, sections, seconds, Object.keys(curves).length > 0));
  log('wrote docs/BENCHMARKS.md');
}

function renderDocument(rows: readonly ResultRow[], sections: readonly string[], seconds: number, plotted: boolean): string {
  return `# Benchmarks

Run with \`npm run bench\` (about ${Math.ceil(seconds / 60)} min; \`npm run bench -- --only=overhead,concurrency --duration=5\`
runs some scenarios; \`--no-write\` leaves this file alone; \`--profile=<dir>\` writes V8 CPU profiles of the API and
workers there and prints where their time goes, by package and by function; \`BENCH_NODE_ARGS\` passes Node.js flags to
the gateway's processes, e.g. \`BENCH_NODE_ARGS=--max-semi-space-size=32\`). The bench starts its own \`redis-server\`, a lean
OpenAI-compatible fake upstream (configurable latency, JSON and SSE) and the production build of the API and
workers as real processes, drives load with autocannon, and measures each baseline in the same run, so every
figure also appears as a ratio. Everything (load generator, upstream, Redis, gateway) shares the machine, so
absolute numbers are pessimistic and drift by tens of percent within minutes; compare ratios.

- **overhead**: the fake upstream directly (baseline) vs \`POST /v1/chat\` (and \`/v1/chat/completions\`) through
  API → BullMQ → worker → upstream → reply channel, at 1 and 32 connections, called with an API key (its lookup, its
  own rate limit and budgets) on top of the global limits and budgets; at 1 connection the upstream alone and each
  route take turns request by request, so the added p50 and p99 compare the same seconds; Redis commands per request
  from \`INFO commandstats\` deltas; CPU per request summed over all processes from \`/proc/<pid>/stat\`.
- **concurrency**: 2,000 simultaneous calls to an upstream answering in 1,000 ms, through one worker warmed by 2 s of
  steady traffic, sent by a bare undici client in its own process (autocannon's own cost of opening 2,000
  connections is reported beside it); the first burst opens 2,000 new upstream connections, a second reuses them.
  Baselines: the same client's burst straight to the upstream (wall time, and its RSS growth as the memory floor of
  2,000 calls in flight).
- **Redis commands**: besides stock BullMQ with the gateway's job options, stock BullMQ with its leanest
  (\`removeOnComplete: true\`): what is left of a 35-command budget for admission, billing and the reply.
- **scale-out**: 2 APIs + 2 workers vs 1 + 1 (baseline), 32 connections in all.
- **limits on**: a gateway with rate limits and budgets (never refusing) against one with them off, on the same Redis.
- **operating**: the request log on (the default) against off, and traces on (every request sampled, exported over
  OTLP/HTTP to a local sink) against off (the default), each in alternating rounds: what each costs per request.
- **responses**: \`POST /v1/responses\` against \`POST /v1/chat/completions\` on one gateway in the same run:
  requests/s at 32 connections (plain, plain with \`store: false\`, streamed) in 6 alternating rounds, the p50 of
  plain calls and the time to first token of streams taken in turn one at a time; each as a ratio to the chat route.
- **messages**: \`POST /v1/messages\` streamed against \`POST /v1/chat/completions\` streamed on one gateway in the same
  run: requests/s at 32 connections in 4 alternating rounds, and the time to first token of streams taken in turn one
  at a time; each as a ratio to the chat route.
- **streaming**, **tool-streaming** (200 streamed answers of 2 parallel tool calls × 100 argument fragments at once, through \`/v1/chat/completions\`), **batch**: see their rows.
- **scale** (\`--only=scale\`, opt-in: 6–10 min at full size): 5,000 streams at once, each 60 s with a token every
  250 ms (\`--scale-streams=\`, \`--scale-seconds=\` run it smaller), on one API and one worker, read by a client in its
  own process that counts every token, the gaps between them and each stream's end: first straight to the fake
  upstream, then through \`/v1/chat/completions\` (\`stream: true\`), then the same resumable. RSS per open stream of the
  API, the worker and Redis's used memory (median while every stream is open, less before), and CPU per relayed
  token of the three, against the client's own straight to the upstream; the client's cost is reported apart.
  Targets: ≤ 3× its memory per stream, ≤ 2× its CPU per token, every stream whole.
- **lanes**: sequential interactive \`POST /v1/chat\` calls (upstream 20 ms) idle, then while another agent's
  10,000-request batch (200 ms each, 2 workers × 64 slots) drains; target: p99 during the drain within 2× idle.
- **lanes-spike** (\`--only=lanes-spike\`, opt-in, ~3.5 min): a BullMQ queue per lane against today's one queue, at 64 worker
  slots, in 3 alternating rounds: the gateway (1 API, 1 worker), and stock BullMQ with one queue and lane priorities,
  with a queue per lane and the slots split 16 / 16 / 32, and with a queue per lane and 64 slots each; per setup the
  interactive p50/p99 idle and under a 20,000-request batch backlog (200 ms each), interactive-only requests/s in 4
  alternating rounds, Redis commands and CPU per request, and the batch drain rate while interactive is idle (see
  PERFORMANCE.md, question 2).
- **comparisons under drift**: the speed of this machine drifts by tens of percent within a minute, so the
  comparisons that matter (limits on vs off, gateway vs lean path) run both setups side by side in 6 alternating 2 s
  rounds (A B, B A, …) and report the median of the per-round ratios.
- **lean stock path**: express → BullMQ → worker → upstream → pub/sub reply with stock BullMQ and nothing else, run in the
  same bench on the same Redis and upstream: the ceiling for a gateway built on these parts on this machine.
- **commands**: every Redis command of 2,000 synchronous requests (MONITOR, including those run inside Lua scripts),
  with an API key and without, attributed to the phase of the request that sent it (by process, script and key;
  what BullMQ's moveToFinished does after the job's \`completed\` event is the fetch of the next job): the tables below.
- **latency phases**: 500 sequential calls under MONITOR, each cut at the Redis commands that end its phases (the
  API's admit-and-add, the worker's moveToActive, its settle script): where the added latency at one connection goes.
- **peers** (\`--peers\`, when \`@portkey-ai/gateway\` is installed with \`npm install --no-save\`; never a dependency):
  Portkey's gateway, a plain proxy, on the same fake upstream, in alternating rounds with this gateway's
  \`/v1/chat/completions\`.
- **cluster** (\`--only=cluster\`, opt-in): a 3-master Redis Cluster of its own on free loopback ports, 1 API + 1 worker
  with \`QUEUE_PREFIX=gw\`, 100 API keys made through the admin API each making 20 synchronous
  \`POST /v1/chat/completions\` one after another, all keys at once: Redis commands each master serves (\`INFO
  commandstats\` before and after) and its share, MONITOR on every master sorting them by key family (queue, reply
  publish, key store, global ledger, per-job billing, per-key ledger, per-key rate bucket) and by script, which master
  each hash tag lives on, the same calls' commands on the standalone Redis, and the shares per-key slots would give
  (a projection from the same trace; see PERFORMANCE.md).
- **plot**: latency percentiles against offered load, sent at an even rate whether or not answers have come
  (open loop, timed from each request's due time), for the upstream alone and through the gateway.

Why the unmet targets are unmet, with the profile and command-count evidence: [PERFORMANCE.md](PERFORMANCE.md).

Machine: ${machineDescription()}. Last run: ${new Date().toISOString()}, ${seconds.toFixed(0)} s.

## Targets

${targetsTable(rows)}

## All results

${toMarkdownTable(rows)}
${sections.map((section) => `\n${section}`).join('')}${plotted ? '\n![latency against offered load](bench-latency.svg)\n' : ''}`;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
