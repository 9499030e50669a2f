import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';

/**
 * The lean stock path the speed targets are measured against: express → BullMQ → worker → upstream (undici pool)
 * → result over a per-instance pub/sub channel, with stock BullMQ and nothing else (no validation, admission,
 * budgets, breaker, pacing, billing, metrics or logs). Its throughput in the same run is the ceiling a gateway
 * built on the same parts can approach on this machine.
 */
const queueName = 'lean';
const concurrency = 512;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The lean API: enqueue, wait for the reply on this instance's channel, answer. Prints its port. */
export async function serveLeanApi(): Promise<void> {
  exitOnSigterm();
  const prefix = env('LEAN_PREFIX');
  const instance = randomUUID();
  const connection = new Redis(env('REDIS_URL'), { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(env('REDIS_URL'));
  await new Promise((resolve) => connection.once('ready', resolve));
  const queue = new Queue(queueName, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: { age: 3600, count: 100_000 }, removeOnFail: { age: 86_400 } },
  });
  const waiting = await listenForReplies(subscriber, prefix, instance);
  const app = express();
  app.use(express.json());
  app.post('/v1/chat', async (req, res) => {
    const jobId = randomUUID();
    const result = new Promise((resolve) => waiting.set(jobId, resolve));
    await queue.add('chat', { messages: (req.body as { messages: unknown }).messages, replyTo: instance }, { jobId });
    res.json(await result);
  });
  const server = app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
}

/** The lean worker: call the upstream, publish the reply, complete the job. */
export async function serveLeanWorker(): Promise<void> {
  exitOnSigterm();
  const prefix = env('LEAN_PREFIX');
  const upstream = new URL(env('LEAN_UPSTREAM_URL'));
  const publisher = new Redis(env('REDIS_URL'));
  const pool = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const worker = new Worker(
    queueName,
    async (job) => {
      const data = job.data as { messages: unknown; replyTo: string };
      const response = await request(upstream, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' },
        body: JSON.stringify({ model: 'bench', messages: data.messages }),
        dispatcher: pool,
      });
      const answer = (await response.body.json()) as { choices: { message: { content: string } }[]; usage: unknown };
      const result = { content: answer.choices[0]?.message.content, usage: answer.usage };
      await publisher.publish(`${prefix}:reply:${data.replyTo}`, JSON.stringify({ jobId: job.id, result }));
      return result;
    },
    { connection: new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null }), prefix, concurrency },
  );
  await worker.waitUntilReady();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

/** A running lean path (one API, one worker). */
export interface LeanPath {
  url: string;
  pids: Record<string, number>;
  /** Stops both processes (and, when profiled, waits until they have written their profiles). */
  stop(): Promise<void>;
}

/** Profiled processes exit on SIGTERM, so that V8 writes their CPU profiles. */
function exitOnSigterm(): void {
  process.once('SIGTERM', () => process.exit(0));
}

/** Starts this script again with `flag` (one of its process roles) and resolves with the first line it prints. */
export function launch(flag: string, extraEnv: Record<string, string>, nodeArgs: string[]): Promise<{ child: ChildProcess; line: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, process.argv[1] ?? '', flag], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...extraEnv },
    });
    child.stdout?.once('data', (data: Buffer) => resolve({ child, line: JSON.parse(data.toString('utf8').split('\n')[0] ?? '{}') as Record<string, unknown> }));
    child.once('exit', (code) => reject(new Error(`${flag} exited ${code}`)));
  });
}

/**
 * Starts the lean API and worker as processes of this script, on the bench's Redis and upstream; with
 * `profileDir`, each writes a V8 CPU profile to `profileDir/lean-api/` or `profileDir/lean-worker/` when stopped,
 * to set beside the gateway's.
 */
export async function startLeanPath(redisUrl: string, upstreamUrl: string, profileDir?: string): Promise<LeanPath> {
  const common = { REDIS_URL: redisUrl, LEAN_PREFIX: `lean-${Date.now()}`, LEAN_UPSTREAM_URL: `${upstreamUrl}/api/v1/chat/completions` };
  const nodeArgs = (role: string) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, role)}`] : []);
  const [api, worker] = await Promise.all([launch('--lean-api', common, nodeArgs('lean-api')), launch('--lean-worker', common, nodeArgs('lean-worker'))]);
  const stopOne = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(profileDir ? 'SIGTERM' : 'SIGKILL');
    });
  return {
    url: `http://127.0.0.1:${String(api.line['port'])}/v1/chat`,
    pids: { 'lean api': api.child.pid ?? NaN, 'lean worker': worker.child.pid ?? NaN },
    stop: async () => {
      await Promise.all([stopOne(api.child), stopOne(worker.child)]);
    },
  };
}

/** The callers waiting for a reply on this instance's channel, by job id: each is called once with its job's result. */
export async function listenForReplies(subscriber: Redis, prefix: string, instance: string): Promise<Map<string, (result: unknown) => void>> {
  const waiting = new Map<string, (result: unknown) => void>();
  subscriber.on('message', (_channel: string, message: string) => {
    const { jobId, result } = JSON.parse(message) as { jobId: string; result: unknown };
    waiting.get(jobId)?.(result);
    waiting.delete(jobId);
  });
  await subscriber.subscribe(`${prefix}:reply:${instance}`);
  return waiting;
}
