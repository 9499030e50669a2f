import { Queue, Worker, type Job, type JobsOptions, type Processor } from 'bullmq';
import type { ChatJobData, ChatJobResult } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { queueNames } from './keys';
import type { RedisClient } from './redis-connection';

export type ChatJob = Job<ChatJobData, ChatJobResult>;
export type ChatQueue = Queue<ChatJobData, ChatJobResult>;

/** Job options of every chat job: results kept for the retention time (for GET /v1/jobs), then removed. */
export function chatJobOptions(config: Pick<Config, 'queue'>): JobsOptions {
  const age = config.queue.retentionSeconds;
  return {
    attempts: 1,
    removeOnComplete: { age, count: 100_000 },
    removeOnFail: { age: age * 24, count: 100_000 },
  };
}

/** The producer side of the chat queue. Pass a `command` connection so adds fail fast while Redis is down. */
export function createChatQueue(connection: RedisClient, prefix: string, config: Pick<Config, 'queue'>): ChatQueue {
  return new Queue<ChatJobData, ChatJobResult>(queueNames.chat, {
    connection,
    prefix,
    defaultJobOptions: chatJobOptions(config),
  });
}

/** Options of a chat worker. */
export interface ChatWorkerOptions {
  /** A `blocking` connection (maxRetriesPerRequest: null); the worker duplicates it as needed. */
  connection: RedisClient;
  prefix: string;
  config: Pick<Config, 'worker'>;
  /** Start taking jobs at once (default true). */
  autorun?: boolean;
}

/**
 * A worker on the chat queue. The lock is renewed every lockDuration/2 while a call runs, so a call of
 * minutes keeps its job; a job whose worker died is taken over after at most lockDuration + stalledInterval.
 */
export function createChatWorker(processor: Processor<ChatJobData, ChatJobResult>, options: ChatWorkerOptions): Worker<ChatJobData, ChatJobResult> {
  const { worker } = options.config;
  return new Worker<ChatJobData, ChatJobResult>(queueNames.chat, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: worker.concurrency,
    lockDuration: worker.lockDurationMs,
    stalledInterval: worker.stalledIntervalMs,
    maxStalledCount: worker.maxStalledCount,
    autorun: options.autorun ?? true,
  });
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
