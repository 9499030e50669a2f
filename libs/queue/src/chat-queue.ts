import { Queue, Worker, type Job, type JobsOptions, type Processor } from 'bullmq';
import type { ChatJobResult, GatewayJobData, Lane } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { queueNames } from './keys';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

export type ChatJob = Job<GatewayJobData, ChatJobResult>;
export type ChatQueue = Queue<GatewayJobData, ChatJobResult>;

/** Job options of every chat job: results kept for the retention time (for GET /v1/jobs), then removed. */
export function chatJobOptions(config: Pick<Config, 'queue'>): JobsOptions {
  const age = config.queue.retentionSeconds;
  return {
    attempts: 1,
    removeOnComplete: { age, count: 100_000 },
    removeOnFail: { age: age * 24, count: 100_000 },
  };
}

/**
 * The queue of each lane: interactive work in `chat`, asynchronous jobs in `chat-job`, batch requests in
 * `chat-batch`. One BullMQ queue per lane, so a lane's consumer is woken by its own queue and never waits for a slot
 * another lane's calls hold. All three under the same prefix (hash-tagged on a cluster: one slot).
 */
export const laneQueueNames: Readonly<Record<Lane, string>> = {
  interactive: queueNames.chat,
  job: queueNames.chatJob,
  batch: queueNames.chatBatch,
};

/** The producer side of a lane's queue (default: interactive, `chat`). Pass a `command` connection so adds fail fast while Redis is down. */
export function createChatQueue(connection: RedisClient, prefix: QueuePrefix, config: Pick<Config, 'queue'>, lane: Lane = 'interactive'): ChatQueue {
  return new Queue<GatewayJobData, ChatJobResult>(laneQueueNames[lane], {
    connection,
    prefix,
    defaultJobOptions: chatJobOptions(config),
  });
}

/** Options of a chat worker. */
export interface ChatWorkerOptions {
  /** A `blocking` connection (maxRetriesPerRequest: null); the worker duplicates it as needed. */
  connection: RedisClient;
  prefix: QueuePrefix;
  config: Pick<Config, 'worker'>;
  /** Start taking jobs at once (default true). */
  autorun?: boolean;
  /**
   * The processor renews each run's lock itself (per run, not per job id: apps/worker run-locks.ts); BullMQ's
   * renewal is then off.
   */
  ownLockRenewal?: boolean;
  /** Jobs in flight; absent: the lane's (WORKER_CONCURRENCY, WORKER_JOB_CONCURRENCY, WORKER_BATCH_CONCURRENCY). */
  concurrency?: number;
  /** The lane whose queue it consumes (default: interactive, `chat`). */
  lane?: Lane;
}

/** A worker process's slots for a lane. */
export function laneConcurrency(config: Pick<Config, 'worker'>, lane: Lane): number {
  const { worker } = config;
  return lane === 'job' ? worker.jobConcurrency : lane === 'batch' ? worker.batchConcurrency : worker.concurrency;
}

/**
 * A worker on a lane's queue. The lock is renewed every lockDuration/2 while a call runs, so a call of
 * minutes keeps its job; a job whose worker died is taken over after at most lockDuration + stalledInterval.
 */
export function createChatWorker(processor: Processor<GatewayJobData, ChatJobResult>, options: ChatWorkerOptions): Worker<GatewayJobData, ChatJobResult> {
  const { worker } = options.config;
  const lane = options.lane ?? 'interactive';
  return new Worker<GatewayJobData, ChatJobResult>(laneQueueNames[lane], processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? laneConcurrency(options.config, lane),
    lockDuration: worker.lockDurationMs,
    stalledInterval: worker.stalledIntervalMs,
    maxStalledCount: worker.maxStalledCount,
    ...(options.ownLockRenewal ? { skipLockRenewal: true } : {}),
    autorun: options.autorun ?? true,
  });
}

/** Jobs per MULTI when adding many: bounds how long Redis is busy with one (a few tens of ms), others interleave. */
const BULK_CHUNK = 1000;

/**
 * Adds many jobs as MULTI chunks sent back to back (Redis runs one chunk while the next is encoded). Each chunk
 * is atomic, the whole is not: when a chunk fails, the jobs of the chunks that did not are removed again if no
 * worker has started them yet, and the error is thrown.
 */
export async function addJobsInChunks(queue: ChatQueue, jobs: Parameters<ChatQueue['addBulk']>[0]): Promise<void> {
  const chunks = Array.from({ length: Math.ceil(jobs.length / BULK_CHUNK) }, (_, index) => jobs.slice(index * BULK_CHUNK, (index + 1) * BULK_CHUNK));
  const outcomes = await Promise.allSettled(chunks.map((chunk) => queue.addBulk(chunk)));
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (!failed) return;
  const added = chunks.filter((_, index) => outcomes[index]?.status === 'fulfilled').flat();
  await Promise.all(added.map((job) => (job.opts?.jobId ? removeUnstartedJob(queue, job.opts.jobId).catch(() => false) : false)));
  throw failed.reason;
}

/** States of a job no worker has taken yet. */
const unstartedStates = new Set(['waiting', 'prioritized', 'delayed', 'waiting-children', 'paused']);

/**
 * Removes a job only if no worker has started it (a caller that gave up does not want it run later); a running or
 * finished job is kept, so its result stays readable and its billing stays consistent. True when removed.
 */
export async function removeUnstartedJob(queue: Pick<ChatQueue, 'getJobState' | 'remove'>, jobId: string): Promise<boolean> {
  const state = await queue.getJobState(jobId);
  if (!unstartedStates.has(state)) return false;
  // remove() also refuses a job a worker locked in the meantime.
  return (await queue.remove(jobId)) === 1;
}
