import { Redis } from 'ioredis';
import { startLaneQueues, laneQueueName, type LaneQueues } from '../lane-queues';
import { runLoad } from '../load';
import { cpuDelta, cpuSnapshot } from '../proc-stats';
import { alternatingOrder, figuresTable, medianByMetric, medianRatio, type FigureColumn } from '../round-figures';
import { percentile, runSequential } from '../sequential';
import type { Gateway } from '../environment';
import type { ScenarioContext } from './context';

/** Worker slots every setup has per lane at most (the gateway's WORKER_CONCURRENCY, which its job and batch lanes take too). */
const SLOTS = 64;
const BATCH_MODEL = 'bench?latency=200';
const INTERACTIVE_MODEL = 'bench?latency=20';
const messages = [{ role: 'user', content: 'Say hello in five words.' }];

/** What the spike needs of a setup: where interactive calls go, how to make and cancel a backlog, how to watch it. */
interface SpikeSetup {
  name: string;
  chatUrl: string;
  pids: Record<string, number>;
  /** Enqueues `count` batch requests (upstream 200 ms each); resolves once they are accepted. */
  addBatch(count: number): Promise<void>;
  /** Removes what of the backlog has not started. */
  cancelBatch(): Promise<void>;
  /** Keys of the queue the batch lane's jobs are in. */
  batchQueueKey: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function queueState(redis: Redis, key: string): Promise<{ finished: number; waiting: number; active: number }> {
  const [completed, failed, wait, prioritized, delayed, active] = await Promise.all([
    redis.zcard(`${key}:completed`),
    redis.zcard(`${key}:failed`),
    redis.llen(`${key}:wait`),
    redis.zcard(`${key}:prioritized`),
    redis.zcard(`${key}:delayed`),
    redis.llen(`${key}:active`),
  ]);
  return { finished: completed + failed, waiting: wait + prioritized + delayed, active };
}

function gatewaySetup(gateway: Gateway): SpikeSetup {
  const url = gateway.urls[0]!;
  let batchId: string | undefined;
  return {
    name: 'gateway (a queue per lane, bands within each)',
    chatUrl: `${url}/v1/chat/completions`,
    pids: { api: gateway.apis[0]?.child.pid ?? NaN, worker: gateway.workers[0]?.child.pid ?? NaN },
    batchQueueKey: `${gateway.prefix}:chat-batch`,
    async addBatch(count) {
      const requests = Array.from({ length: count }, (_, index) => ({
        agent_id: 'bench-batch-tenant',
        model: BATCH_MODEL,
        messages: [{ role: 'user', content: `item ${index}` }],
      }));
      const response = await fetch(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(requests) });
      const accepted = (await response.json()) as { batch_id?: string };
      if (response.status !== 202 || !accepted.batch_id) throw new Error(`lanes-spike: batch refused: HTTP ${response.status}`);
      batchId = accepted.batch_id;
    },
    async cancelBatch() {
      if (!batchId) return;
      const response = await fetch(`${url}/v1/batches/${batchId}/cancel`, { method: 'POST' });
      await response.arrayBuffer();
      batchId = undefined;
    },
  };
}

function prototypeSetup(name: string, lanes: LaneQueues): SpikeSetup {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${lanes.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await response.arrayBuffer();
    if (response.status >= 300) throw new Error(`lanes-spike: ${path}: HTTP ${response.status}`);
  };
  return {
    name,
    chatUrl: `${lanes.url}/v1/chat/completions`,
    pids: lanes.pids,
    batchQueueKey: `${lanes.prefix}:${laneQueueName(lanes.shape, 'batch')}`,
    addBatch: (count) => post('/bench/batch', { count, model: BATCH_MODEL }),
    cancelBatch: () => post('/bench/cancel', {}),
  };
}

/** Commands/s each setup sends while idle (its consumers' blocking fetches and timers), by name, and their sum. */
interface IdleRates {
  of: Map<string, number>;
  total: number;
}

/** Redis commands of a period, less what the other setups sent while idle in it (INFO counts the whole server). */
function ownCommands(delta: number, seconds: number, setup: SpikeSetup, idle: IdleRates): number {
  return delta - (idle.total - (idle.of.get(setup.name) ?? 0)) * seconds;
}

/**
 * Interactive-only load at 32 connections on one setup (upstream answering at once): requests/s, p99, and its Redis
 * commands and CPU (API, worker, Redis) per request.
 */
async function measureThroughput(context: ScenarioContext, setup: SpikeSetup, idle: IdleRates, seconds: number): Promise<Record<string, number>> {
  const pids = { ...setup.pids, redis: context.env.redisPid };
  const cpuBefore = cpuSnapshot(pids);
  const commandsBefore = await context.env.commandCount();
  const started = performance.now();
  const load = await runLoad({ url: setup.chatUrl, body: { agent_id: 'bench', model: 'bench', messages }, connections: 32, durationSeconds: seconds });
  const elapsed = (performance.now() - started) / 1000;
  const served = Math.max(1, load.requests - load.errors - load.non2xx);
  const cpu = cpuDelta(cpuBefore, cpuSnapshot(pids));
  return {
    rps: load.rps,
    loadP99: load.p99,
    commandsPerRequest: ownCommands((await context.env.commandCount()) - commandsBefore, elapsed, setup, idle) / served,
    cpuMsPerRequest: (Object.values(cpu).reduce((sum, value) => sum + value, 0) * 1000) / served,
    loadErrors: load.errors + load.non2xx,
  };
}

/**
 * One backlog round of one setup: sequential interactive calls alone (upstream 20 ms), then a batch backlog
 * (upstream 200 ms): its drain rate while interactive is idle (what a lane's slots are worth when the others are
 * empty) and its Redis commands per job, then interactive calls while it drains; the rest cancelled.
 */
async function measureBacklog(
  context: ScenarioContext,
  redis: Redis,
  setup: SpikeSetup,
  idle: IdleRates,
  options: { idleCalls: number; drainCalls: number; batch: number; windowSeconds: number },
): Promise<{ figures: Record<string, number>; idleTimes: number[]; drainTimes: number[] }> {
  const interactive = { agent_id: 'bench-interactive', model: INTERACTIVE_MODEL, messages };
  const alone = await runSequential(setup.chatUrl, interactive, options.idleCalls);
  const figures: Record<string, number> = { idleP50: alone.p50, idleP99: alone.p99, errors: alone.errors };
  // The backlog: every batch slot busy before anything is timed.
  const start = await queueState(redis, setup.batchQueueKey);
  const enqueueStarted = performance.now();
  await setup.addBatch(options.batch);
  figures['enqueueSeconds'] = (performance.now() - enqueueStarted) / 1000;
  while ((await queueState(redis, setup.batchQueueKey)).finished < start.finished + SLOTS) await sleep(20);
  const windowStart = await queueState(redis, setup.batchQueueKey);
  const windowCommands = await context.env.commandCount();
  const windowStarted = performance.now();
  await sleep(options.windowSeconds * 1000);
  const windowEnd = await queueState(redis, setup.batchQueueKey);
  const windowElapsed = (performance.now() - windowStarted) / 1000;
  const drained = windowEnd.finished - windowStart.finished;
  figures['drainRate'] = drained / windowElapsed;
  figures['commandsPerBatchJob'] = ownCommands((await context.env.commandCount()) - windowCommands, windowElapsed, setup, idle) / Math.max(1, drained);
  const during = await runSequential(setup.chatUrl, interactive, options.drainCalls);
  figures['drainP50'] = during.p50;
  figures['drainP99'] = during.p99;
  figures['errors'] = alone.errors + during.errors;
  // A backlog gone before the calls ended would time them against a lighter load: reported, not hidden.
  figures['backlogLeft'] = (await queueState(redis, setup.batchQueueKey)).waiting;
  await setup.cancelBatch();
  const settleBy = Date.now() + 15_000;
  for (;;) {
    const state = await queueState(redis, setup.batchQueueKey);
    if (state.waiting === 0 && state.active === 0) break;
    if (Date.now() > settleBy) {
      context.log(`lanes-spike: ${setup.name}: ${state.waiting} waiting, ${state.active} active 15 s after the cancel`);
      break;
    }
    await sleep(50);
  }
  return { figures, idleTimes: alone.times ?? [], drainTimes: during.times ?? [] };
}

export const spikeColumns: FigureColumn[] = [
  { metric: 'idleP50', heading: 'interactive p50 idle (ms)', digits: 1 },
  { metric: 'idleP99', heading: 'p99 idle (ms)', digits: 1 },
  { metric: 'drainP50', heading: 'p50 under the backlog (ms)', digits: 1 },
  { metric: 'drainP99', heading: 'p99 under the backlog (ms)', digits: 1 },
  { metric: 'pooledIdleP99', heading: 'p99 idle, all rounds pooled (ms)', digits: 1 },
  { metric: 'pooledDrainP99', heading: 'p99 under the backlog, pooled (ms)', digits: 1 },
  { metric: 'rps', heading: 'interactive-only req/s (32 conn.)', digits: 0 },
  { metric: 'loadP99', heading: 'its p99 (ms)', digits: 0 },
  { metric: 'commandsPerRequest', heading: 'Redis commands / interactive request', digits: 1 },
  { metric: 'cpuMsPerRequest', heading: 'CPU ms / request', digits: 2 },
  { metric: 'drainRate', heading: 'batch drain, interactive idle (jobs/s)', digits: 0 },
  { metric: 'commandsPerBatchJob', heading: 'Redis commands / batch job', digits: 1 },
  { metric: 'idleCommandsPerSecond', heading: 'Redis commands/s idle', digits: 0 },
  { metric: 'enqueueSeconds', heading: 'enqueue of the backlog (s)', digits: 2 },
];

/**
 * Issue 38's question 2, at equal slots: does one BullMQ queue per lane (interactive, job, batch) do without the
 * interactive reserve, the lane-share loop and the lanes' priority ranges at equal or better figures? Four
 * setups on the same Redis and upstream: the gateway as it is (1 API, 1 worker with WORKER_CONCURRENCY=64, now a
 * queue per lane with 64 slots each; it had one queue, the reserve and the lane-share loop when the question was
 * settled), and three prototypes at the BullMQ level (stock BullMQ, no gateway features; batch jobs carry
 * their fair-share round as a priority in both shapes): one queue with the lanes' priority ranges and 64 shared
 * slots, one queue per lane with the 64 slots split (16 interactive, 16 job, 32 batch), and one queue per lane with
 * 64 slots each (nothing lent, nothing capped). Each setup's idle Redis commands/s are
 * measured as it starts, and taken out of the others' counts (INFO counts the whole server). Then interactive-only
 * load in `throughputRounds` alternating rounds, and `rounds` alternating backlog rounds; figures are medians of
 * rounds, the pooled p99 over every round's calls beside them.
 */
export async function lanesSpikeScenario(
  context: ScenarioContext,
  options = { rounds: 3, throughputRounds: 4, loadSeconds: 2, idleCalls: 80, drainCalls: 150, batch: 20_000, windowSeconds: 2 },
): Promise<void> {
  const { url: redisUrl } = context.env.redis;
  const redis = new Redis(redisUrl);
  const idle: IdleRates = { of: new Map(), total: 0 };
  const stops: (() => Promise<void>)[] = [];
  const setups: SpikeSetup[] = [];
  /** Warms a setup up (every path compiled, every connection open), then counts what it adds to the idle server. */
  const add = async (setup: SpikeSetup) => {
    await runSequential(setup.chatUrl, { agent_id: 'bench-interactive', model: 'bench', messages }, 50);
    await runLoad({ url: setup.chatUrl, body: { agent_id: 'bench', model: 'bench', messages }, connections: 32, durationSeconds: 1 });
    await sleep(500);
    const before = await context.env.commandCount();
    const started = performance.now();
    await sleep(2000);
    const rate = ((await context.env.commandCount()) - before) / ((performance.now() - started) / 1000) - idle.total;
    idle.of.set(setup.name, Math.max(0, rate));
    idle.total += Math.max(0, rate);
    setups.push(setup);
  };
  try {
    const gateway = await context.env.startGateway({
      apis: 1,
      workers: 1,
      env: { WORKER_CONCURRENCY: String(SLOTS), BATCH_MAX_REQUESTS: String(options.batch), WORKER_METRICS_PORT: '0' },
    });
    stops.push(() => context.env.stopQuietly(gateway));
    await add(gatewaySetup(gateway));
    for (const [name, shape, slots] of [
      [`BullMQ, one queue, lane priorities, ${SLOTS} shared slots`, 'one', String(SLOTS)],
      ['BullMQ, a queue per lane, slots 16 / 16 / 32', 'split', '16,16,32'],
      [`BullMQ, a queue per lane, slots ${SLOTS} / ${SLOTS} / ${SLOTS}`, 'split', `${SLOTS},${SLOTS},${SLOTS}`],
    ] as const) {
      const lanes = await startLaneQueues(redisUrl, context.env.upstreamUrl, shape, slots);
      stops.push(() => lanes.stop());
      await add(prototypeSetup(name, lanes));
    }
    const rounds = new Map(setups.map((setup) => [setup.name, [] as Record<string, number>[]]));
    const throughput = new Map(setups.map((setup) => [setup.name, [] as Record<string, number>[]]));
    const pooled = new Map(setups.map((setup) => [setup.name, { idle: [] as number[], drain: [] as number[] }]));
    for (let round = 0; round < options.throughputRounds; round += 1) {
      for (const setup of alternatingOrder(setups, round)) {
        const figures = await measureThroughput(context, setup, idle, options.loadSeconds);
        throughput.get(setup.name)!.push(figures);
        context.log(
          `lanes-spike load round ${round + 1} ${setup.name}: ${figures['rps']!.toFixed(0)} req/s, p99 ${figures['loadP99']!.toFixed(0)} ms, ${figures['commandsPerRequest']!.toFixed(1)} commands/request, ${figures['cpuMsPerRequest']!.toFixed(2)} CPU ms, errors ${figures['loadErrors']}`,
        );
      }
    }
    for (let round = 0; round < options.rounds; round += 1) {
      for (const setup of alternatingOrder(setups, round)) {
        const { figures, idleTimes, drainTimes } = await measureBacklog(context, redis, setup, idle, options);
        rounds.get(setup.name)!.push(figures);
        pooled.get(setup.name)!.idle.push(...idleTimes);
        pooled.get(setup.name)!.drain.push(...drainTimes);
        context.log(
          `lanes-spike backlog round ${round + 1} ${setup.name}: idle p50/p99 ${figures['idleP50']!.toFixed(1)}/${figures['idleP99']!.toFixed(1)} ms, under the backlog ${figures['drainP50']!.toFixed(1)}/${figures['drainP99']!.toFixed(1)} ms, drain ${figures['drainRate']!.toFixed(0)} jobs/s at ${figures['commandsPerBatchJob']!.toFixed(1)} commands/job, enqueue ${figures['enqueueSeconds']!.toFixed(2)} s, backlog left ${figures['backlogLeft']}, errors ${figures['errors']}`,
        );
      }
    }
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const summary = setups.map((setup) => {
      const times = pooled.get(setup.name)!;
      return {
        name: setup.name,
        rounds: [
          ...rounds.get(setup.name)!,
          ...throughput.get(setup.name)!,
          {
            pooledIdleP99: percentile(sorted(times.idle), 0.99),
            pooledDrainP99: percentile(sorted(times.drain), 0.99),
            idleCommandsPerSecond: idle.of.get(setup.name) ?? NaN,
          },
        ],
      };
    });
    const oneQueue = setups[1]!.name;
    const ratios = setups.slice(2).map((setup) => {
      const load = medianRatio(throughput.get(setup.name)!, throughput.get(oneQueue)!, 'rps');
      const drain = medianRatio(rounds.get(setup.name)!, rounds.get(oneQueue)!, 'drainRate');
      const p99 = medianRatio(rounds.get(setup.name)!, rounds.get(oneQueue)!, 'drainP99');
      return `${setup.name} against the one queue (median of per-round ratios): interactive-only req/s ${load.toFixed(2)}×, batch drain ${drain.toFixed(2)}×, p99 under the backlog ${p99.toFixed(2)}×`;
    });
    const table = figuresTable(summary, spikeColumns);
    context.log(`lanes-spike: medians of alternating rounds:\n${table}\n${ratios.join('\n')}`);
    context.sections.push(
      `## Lanes spike: a BullMQ queue per lane against today's one queue (medians of ${options.throughputRounds} load and ${options.rounds} backlog rounds, alternating)\n\n${table}\n\n${ratios.map((line) => `- ${line}`).join('\n')}\n`,
    );
    for (const { name, rounds: figures } of summary) {
      const medians = medianByMetric(figures);
      const scenario = `lanes spike: ${name}`;
      context.rows.push({
        scenario,
        metric: 'interactive p99 under a batch backlog',
        value: medians['drainP99'] ?? NaN,
        unit: 'ms',
        note: `idle ${(medians['idleP99'] ?? NaN).toFixed(1)} ms`,
      });
      context.rows.push({ scenario, metric: 'interactive-only requests/s (32 connections)', value: medians['rps'] ?? NaN, unit: 'req/s' });
      context.rows.push({ scenario, metric: 'batch drain rate, interactive idle', value: medians['drainRate'] ?? NaN, unit: 'jobs/s' });
      context.rows.push({ scenario, metric: 'Redis commands per interactive request', value: medians['commandsPerRequest'] ?? NaN, unit: '' });
    }
  } finally {
    redis.disconnect();
    await Promise.all(stops.map((stop) => stop()));
  }
}
