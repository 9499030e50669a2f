import { Redis } from 'ioredis';
import { startLaneQueues, laneQueueName, type LaneQueues } from '../lane-queues';
import { runLoad } from '../load';
import { cpuDelta, cpuSnapshot } from '../proc-stats';
import { alternatingOrder, figuresTable, medianByMetric, medianRatio, type FigureColumn } from '../round-figures';
import { runSequential } from '../sequential';
import type { Gateway } from '../environment';
import type { ScenarioContext } from './context';

/** Worker slots every setup has in all (the gateway's WORKER_CONCURRENCY; its one reserve slot comes on top). */
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
    name: 'gateway today (one queue, bands, reserve, lane-share loop)',
    chatUrl: `${url}/v1/chat/completions`,
    pids: { api: gateway.apis[0]?.child.pid ?? NaN, worker: gateway.workers[0]?.child.pid ?? NaN },
    batchQueueKey: `${gateway.prefix}:chat`,
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

/**
 * One round of one setup: interactive calls alone (p50, p99), interactive-only load at 32 connections (requests/s,
 * Redis commands and CPU per request), then a batch backlog: its drain rate while interactive is idle (what a lane's
 * idle slots are worth) and Redis commands per batch job, then interactive calls while it drains; the rest cancelled.
 */
async function measureRound(context: ScenarioContext, redis: Redis, setup: SpikeSetup, options: { calls: number; loadSeconds: number; batch: number; windowSeconds: number; redisPid: number }): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  const interactive = { agent_id: 'bench-interactive', model: INTERACTIVE_MODEL, messages };
  const idle = await runSequential(setup.chatUrl, interactive, options.calls);
  figures['idleP50'] = idle.p50;
  figures['idleP99'] = idle.p99;
  const pids = { ...setup.pids, redis: options.redisPid };
  const cpuBefore = cpuSnapshot(pids);
  const commandsBefore = await context.env.commandCount();
  const load = await runLoad({ url: setup.chatUrl, body: { agent_id: 'bench', model: 'bench', messages }, connections: 32, durationSeconds: options.loadSeconds });
  const served = Math.max(1, load.requests - load.errors - load.non2xx);
  figures['rps'] = load.rps;
  figures['loadP99'] = load.p99;
  figures['commandsPerRequest'] = ((await context.env.commandCount()) - commandsBefore) / served;
  const cpu = cpuDelta(cpuBefore, cpuSnapshot(pids));
  figures['cpuMsPerRequest'] = (Object.values(cpu).reduce((sum, seconds) => sum + seconds, 0) * 1000) / served;
  figures['errors'] = idle.errors + load.errors + load.non2xx;
  // The backlog: every slot wanted by batch work before anything is timed.
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
  const drained = windowEnd.finished - windowStart.finished;
  figures['drainRate'] = drained / ((performance.now() - windowStarted) / 1000);
  figures['commandsPerBatchJob'] = ((await context.env.commandCount()) - windowCommands) / Math.max(1, drained);
  const during = await runSequential(setup.chatUrl, interactive, options.calls);
  figures['drainP50'] = during.p50;
  figures['drainP99'] = during.p99;
  figures['errors'] += during.errors;
  const end = await queueState(redis, setup.batchQueueKey);
  // A backlog gone before the calls ended would time them against a lighter load: flagged, not hidden.
  figures['backlogLeft'] = end.waiting;
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
  return figures;
}

export const spikeColumns: FigureColumn[] = [
  { metric: 'idleP50', heading: 'interactive p50 idle (ms)', digits: 1 },
  { metric: 'idleP99', heading: 'p99 idle (ms)', digits: 1 },
  { metric: 'drainP50', heading: 'p50 under the backlog (ms)', digits: 1 },
  { metric: 'drainP99', heading: 'p99 under the backlog (ms)', digits: 1 },
  { metric: 'rps', heading: 'interactive-only req/s (32 conn.)', digits: 0 },
  { metric: 'commandsPerRequest', heading: 'Redis commands / interactive request', digits: 1 },
  { metric: 'cpuMsPerRequest', heading: 'CPU ms / request', digits: 2 },
  { metric: 'drainRate', heading: 'batch drain, interactive idle (jobs/s)', digits: 0 },
  { metric: 'commandsPerBatchJob', heading: 'Redis commands / batch job', digits: 1 },
  { metric: 'enqueueSeconds', heading: 'enqueue of the backlog (s)', digits: 2 },
];

/**
 * Issue 38's question 2, at equal slots: would one BullMQ queue per lane (interactive, job, batch) make the
 * interactive reserve, the lane-share loop and the priority bands unnecessary at equal or better figures? Four
 * setups on the same Redis and upstream, in alternating rounds: the gateway as it is (1 API, 1 worker with
 * WORKER_CONCURRENCY=64 and its reserve slot), and three prototypes at the BullMQ level (stock BullMQ, no gateway
 * features): one queue with lane priorities and 64 shared slots, one queue per lane with the 64 slots split
 * (16 interactive, 16 job, 32 batch), and one queue per lane with 64 slots each (nothing lent, nothing capped).
 */
export async function lanesSpikeScenario(context: ScenarioContext, options = { rounds: 3, calls: 120, loadSeconds: 2, batch: 20_000, windowSeconds: 2 }): Promise<void> {
  const gateway = await context.env.startGateway({
    apis: 1,
    workers: 1,
    env: { WORKER_CONCURRENCY: String(SLOTS), BATCH_MAX_REQUESTS: String(options.batch), WORKER_METRICS_PORT: '0' },
  });
  const { url: redisUrl } = context.env.redis;
  const prototypes = await Promise.all([
    startLaneQueues(redisUrl, context.env.upstreamUrl, 'one', String(SLOTS)),
    startLaneQueues(redisUrl, context.env.upstreamUrl, 'split', '16,16,32'),
    startLaneQueues(redisUrl, context.env.upstreamUrl, 'split', `${SLOTS},${SLOTS},${SLOTS}`),
  ]);
  const redis = new Redis(redisUrl);
  try {
    const setups = [
      gatewaySetup(gateway),
      prototypeSetup(`BullMQ, one queue, lane priorities, ${SLOTS} shared slots`, prototypes[0]),
      prototypeSetup('BullMQ, a queue per lane, slots 16 / 16 / 32', prototypes[1]),
      prototypeSetup(`BullMQ, a queue per lane, slots ${SLOTS} / ${SLOTS} / ${SLOTS}`, prototypes[2]),
    ];
    // Warm-up: every path compiled, every connection open.
    for (const setup of setups) {
      await runSequential(setup.chatUrl, { agent_id: 'bench-interactive', model: 'bench', messages }, 50);
      await runLoad({ url: setup.chatUrl, body: { agent_id: 'bench', model: 'bench', messages }, connections: 32, durationSeconds: 1 });
    }
    // What the four setups cost Redis while all are idle (their consumers' blocking fetches and timers), counted in every figure below.
    const idleBefore = await context.env.commandCount();
    await sleep(2000);
    const idleCommandsPerSecond = ((await context.env.commandCount()) - idleBefore) / 2;
    const rounds = new Map(setups.map((setup) => [setup.name, [] as Record<string, number>[]]));
    for (let round = 0; round < options.rounds; round += 1) {
      for (const setup of alternatingOrder(setups, round)) {
        const figures = await measureRound(context, redis, setup, { ...options, redisPid: context.env.redisPid });
        rounds.get(setup.name)!.push(figures);
        context.log(
          `lanes-spike round ${round + 1} ${setup.name}: idle p50/p99 ${figures['idleP50']!.toFixed(1)}/${figures['idleP99']!.toFixed(1)} ms, under the backlog ${figures['drainP50']!.toFixed(1)}/${figures['drainP99']!.toFixed(1)} ms, ${figures['rps']!.toFixed(0)} req/s, ${figures['commandsPerRequest']!.toFixed(1)} commands/request, ${figures['cpuMsPerRequest']!.toFixed(2)} CPU ms, drain ${figures['drainRate']!.toFixed(0)} jobs/s at ${figures['commandsPerBatchJob']!.toFixed(1)} commands/job, enqueue ${figures['enqueueSeconds']!.toFixed(2)} s, backlog left ${figures['backlogLeft']}, errors ${figures['errors']}`,
        );
      }
    }
    const summary = setups.map((setup) => ({ name: setup.name, rounds: rounds.get(setup.name)! }));
    const oneQueue = rounds.get(setups[1]!.name)!;
    const ratios = setups
      .slice(2)
      .map(
        (setup) =>
          `${setup.name} against the one queue: interactive-only req/s ${medianRatio(rounds.get(setup.name)!, oneQueue, 'rps').toFixed(2)}×, batch drain ${medianRatio(rounds.get(setup.name)!, oneQueue, 'drainRate').toFixed(2)}×, p99 under the backlog ${medianRatio(rounds.get(setup.name)!, oneQueue, 'drainP99').toFixed(2)}×`,
      );
    const table = figuresTable(summary, spikeColumns);
    context.log(`lanes-spike: medians of ${options.rounds} alternating rounds:\n${table}\n${ratios.join('\n')}\nidle: ${idleCommandsPerSecond.toFixed(0)} Redis commands/s for the four setups`);
    context.sections.push(
      `## Lanes spike: a BullMQ queue per lane against today's one queue (medians of ${options.rounds} alternating rounds)\n\n${table}\n\n${ratios.map((line) => `- ${line}`).join('\n')}\n- idle: ${idleCommandsPerSecond.toFixed(0)} Redis commands/s for the four setups together\n`,
    );
    for (const { name, rounds: figures } of summary) {
      const medians = medianByMetric(figures);
      const scenario = `lanes spike: ${name}`;
      context.rows.push({ scenario, metric: 'interactive p99 under a batch backlog', value: medians['drainP99'] ?? NaN, unit: 'ms', note: `idle ${(medians['idleP99'] ?? NaN).toFixed(1)} ms` });
      context.rows.push({ scenario, metric: 'interactive-only requests/s (32 connections)', value: medians['rps'] ?? NaN, unit: 'req/s' });
      context.rows.push({ scenario, metric: 'batch drain rate, interactive idle', value: medians['drainRate'] ?? NaN, unit: 'jobs/s' });
      context.rows.push({ scenario, metric: 'Redis commands per interactive request', value: medians['commandsPerRequest'] ?? NaN, unit: '' });
    }
  } finally {
    redis.disconnect();
    await Promise.all(prototypes.map((prototype) => prototype.stop()));
    await context.env.stopQuietly(gateway);
  }
}
