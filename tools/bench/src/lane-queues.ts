import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { launch, listenForReplies } from './lean-path';

/**
 * A prototype of scheduling lanes at the BullMQ level, for the lanes spike (`--only=lanes-spike`): stock BullMQ and
 * nothing else (no admission, billing, reserve, lane-share loop or fair share), in one of two shapes:
 * - `one`: one queue, interactive jobs added without a priority, job and batch jobs with their lane's range of
 *   priorities, one consumer whose slots every lane shares (today's shape, minus the reserve and the lane-share loop);
 * - `split`: one queue per lane (interactive, job, batch), no priorities between lanes (within the job and batch
 *   lanes, the fair-share rounds as priorities, as on one queue), one consumer per queue in the same worker process
 *   with its own slots: a lane's slots cannot be lent to another lane.
 * Same work per job as the gateway's: one call to the upstream with the job's model, the answer published to the
 * waiting API instance (interactive) or kept as the job's result (job, batch).
 */
export type LaneShape = 'one' | 'split';
export type LaneName = 'interactive' | 'job' | 'batch';
const lanes: readonly LaneName[] = ['interactive', 'job', 'batch'];
/** Finished jobs kept as the gateway keeps them (so completing costs what it costs there). */
const jobOptions = { removeOnComplete: { age: 3600, count: 100_000 }, removeOnFail: { age: 86_400 } } as const;
/**
 * Where a lane's priorities start on one queue (the gateway's layout: the job lane from 1, the batch lane from 2^20);
 * on a queue of its own a lane starts at 1. Interactive jobs have none (BullMQ's wait list, served first).
 */
const laneBase: Record<Exclude<LaneName, 'interactive'>, number> = { job: 1, batch: 2 ** 20 };

/**
 * The priority of a lower lane's job: its lane's base plus its round. With one tenant, the fair-share rounds the
 * gateway hands out (lane-rounds.lua) are consecutive, so a backlog's n-th job has round n: fair share within a lane
 * costs the same prioritized set in both shapes, and only the split into queues differs.
 */
export function lanePriorityOf(shape: LaneShape, lane: LaneName, round: number): number | undefined {
  if (lane === 'interactive') return undefined;
  return (shape === 'one' ? laneBase[lane] : 1) + (round % 131_071);
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The queue a lane's jobs go to in a shape. */
export function laneQueueName(shape: LaneShape, lane: LaneName): string {
  return shape === 'one' ? 'chat' : lane;
}

/** Slots per lane, `interactive,job,batch` (split), or one number for the shared consumer (one). */
export function parseLaneSlots(shape: LaneShape, text: string): Record<LaneName, number> | number {
  const numbers = text.split(/[,/]/).map(Number);
  if (numbers.some((value) => !Number.isInteger(value) || value <= 0)) throw new Error(`lane slots: ${text}`);
  if (shape === 'one') {
    if (numbers.length !== 1) throw new Error(`one queue takes one slot count: ${text}`);
    return numbers[0]!;
  }
  if (numbers.length !== 3) throw new Error(`split queues take interactive,job,batch slot counts: ${text}`);
  return { interactive: numbers[0]!, job: numbers[1]!, batch: numbers[2]! };
}

/**
 * The prototype's API: `POST /v1/chat/completions` enqueues an interactive job and waits for its reply on this
 * instance's channel; `POST /bench/batch` `{count, model}` adds `count` batch jobs (1,000 per addBulk);
 * `POST /bench/cancel` removes the batch lane's jobs not started yet (as a batch's cancel does). Prints its port.
 */
export async function serveLaneApi(): Promise<void> {
  process.once('SIGTERM', () => process.exit(0));
  const prefix = env('LANES_PREFIX');
  const shape = env('LANES_SHAPE') as LaneShape;
  const instance = randomUUID();
  const connection = new Redis(env('REDIS_URL'), { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(env('REDIS_URL'));
  await new Promise((resolve) => connection.once('ready', resolve));
  const queues = new Map<string, Queue>();
  const queueOf = (lane: LaneName): Queue => {
    const name = laneQueueName(shape, lane);
    let queue = queues.get(name);
    if (!queue) queues.set(name, (queue = new Queue(name, { connection, prefix, defaultJobOptions: jobOptions })));
    return queue;
  };
  const waiting = await listenForReplies(subscriber, prefix, instance);
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/v1/chat/completions', async (req, res) => {
    const body = req.body as { model?: string; messages: unknown };
    const jobId = randomUUID();
    const result = new Promise((resolve) => waiting.set(jobId, resolve));
    await queueOf('interactive').add('interactive', { model: body.model ?? 'bench', messages: body.messages, replyTo: instance }, { jobId });
    res.json(await result);
  });
  app.post('/bench/batch', async (req, res) => {
    const { count, model } = req.body as { count: number; model: string };
    const queue = queueOf('batch');
    for (let start = 0; start < count; start += 1000) {
      const jobs = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => ({
        name: 'batch',
        data: { model, messages: [{ role: 'user', content: `item ${start + offset}` }] },
        opts: { ...jobOptions, priority: lanePriorityOf(shape, 'batch', start + offset) },
      }));
      await queue.addBulk(jobs);
    }
    res.status(202).json({ added: count });
  });
  app.post('/bench/cancel', async (_req, res) => {
    // Waiting and prioritized jobs; those running finish. Only batch work is ever left waiting here.
    await queueOf('batch').drain();
    res.json({ cancelled: true });
  });
  const server = app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
}

/** The prototype's worker: one consumer of the one queue, or one per lane's queue, each with its slots. */
export async function serveLaneWorker(): Promise<void> {
  process.once('SIGTERM', () => process.exit(0));
  const prefix = env('LANES_PREFIX');
  const shape = env('LANES_SHAPE') as LaneShape;
  const slots = parseLaneSlots(shape, env('LANES_SLOTS'));
  const upstream = new URL(env('LANES_UPSTREAM_URL'));
  const publisher = new Redis(env('REDIS_URL'));
  const totalSlots = typeof slots === 'number' ? slots : slots.interactive + slots.job + slots.batch;
  const pool = new Agent({ connections: totalSlots, keepAliveTimeout: 30_000 });
  const processor = async (job: { id?: string; data: { model: string; messages: unknown; replyTo?: string } }) => {
    const response = await request(upstream, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' },
      body: JSON.stringify({ model: job.data.model, messages: job.data.messages }),
      dispatcher: pool,
    });
    const answer = (await response.body.json()) as { choices: { message: { content: string } }[]; usage: unknown };
    const result = { content: answer.choices[0]?.message.content, usage: answer.usage };
    if (job.data.replyTo) await publisher.publish(`${prefix}:reply:${job.data.replyTo}`, JSON.stringify({ jobId: job.id, result }));
    return result;
  };
  const consumers =
    typeof slots === 'number' ? [{ name: 'chat', concurrency: slots }] : lanes.map((lane) => ({ name: laneQueueName(shape, lane), concurrency: slots[lane] }));
  const workers = consumers.map(
    ({ name, concurrency }) => new Worker(name, processor, { connection: new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null }), prefix, concurrency }),
  );
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

/** A running prototype (one API, one worker process). */
export interface LaneQueues {
  shape: LaneShape;
  /** Base URL of its API. */
  url: string;
  prefix: string;
  pids: Record<string, number>;
  stop(): Promise<void>;
}

/** Starts the prototype's API and worker as processes of this script, on the bench's Redis and upstream. */
export async function startLaneQueues(redisUrl: string, upstreamUrl: string, shape: LaneShape, slots: string): Promise<LaneQueues> {
  parseLaneSlots(shape, slots);
  const prefix = `lanes-${shape}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const common = {
    REDIS_URL: redisUrl,
    LANES_PREFIX: prefix,
    LANES_SHAPE: shape,
    LANES_SLOTS: slots,
    LANES_UPSTREAM_URL: `${upstreamUrl}/api/v1/chat/completions`,
  };
  const [api, worker] = await Promise.all([launch('--lanes-api', common, []), launch('--lanes-worker', common, [])]);
  const stopOne = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return {
    shape,
    url: `http://127.0.0.1:${String(api.line['port'])}`,
    prefix,
    pids: { api: api.child.pid ?? NaN, worker: worker.child.pid ?? NaN },
    stop: async () => {
      await Promise.all([stopOne(api.child), stopOne(worker.child)]);
    },
  };
}
