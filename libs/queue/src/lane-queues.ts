import { QueueKeys } from 'bullmq';
import type { Lane } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { createChatQueue, laneQueueNames, type ChatJob, type ChatQueue } from './chat-queue';
import { queueNameOfJob } from './job-ids';
import type { QueuePrefix } from './prefixes';
import type { RedisClient } from './redis-connection';

/** What reading or removing one job needs of its queue; the queue is found from the job's id (its lane mark). */
export interface JobQueues {
  /** The queue that holds `jobId`. */
  of(jobId: string): ChatQueue;
  getJob(jobId: string): Promise<ChatJob | undefined>;
  getJobState(jobId: string): ReturnType<ChatQueue['getJobState']>;
  remove(jobId: string): Promise<0 | 1>;
  /** The job's hash key (`<prefix>:<its queue>:<id>`). */
  toKey(jobId: string): string;
}

/** The three lanes' queues, and reads of a job in whichever of them its id names. */
export interface LaneQueues extends JobQueues {
  readonly lanes: Readonly<Record<Lane, ChatQueue>>;
  /** Every lane's queue, interactive first. */
  readonly all: readonly ChatQueue[];
  close(): Promise<void>;
}

/** Reads by job id over queues by name (a job's queue named by its id: job-ids.ts queueNameOfJob). */
export function jobQueuesOf(queues: readonly Pick<ChatQueue, 'name' | 'getJob' | 'getJobState' | 'remove' | 'toKey'>[]): JobQueues {
  const byName = new Map(queues.map((queue) => [queue.name, queue as ChatQueue]));
  const of = (jobId: string): ChatQueue => {
    const queue = byName.get(queueNameOfJob(jobId));
    if (!queue) throw new Error(`no queue ${queueNameOfJob(jobId)} for job ${jobId}`);
    return queue;
  };
  return {
    of,
    getJob: async (jobId) => (await of(jobId).getJob(jobId)) ?? undefined,
    getJobState: (jobId) => of(jobId).getJobState(jobId),
    remove: async (jobId) => (await of(jobId).remove(jobId)) as 0 | 1,
    toKey: (jobId) => of(jobId).toKey(jobId),
  };
}

/** The lanes' queues on one connection (a `command` one for the API's reads and single adds, the `bulk` one for batches). */
export function createLaneQueues(connection: RedisClient, prefix: QueuePrefix, config: Pick<Config, 'queue'>): LaneQueues {
  const lanes = {
    interactive: createChatQueue(connection, prefix, config, 'interactive'),
    job: createChatQueue(connection, prefix, config, 'job'),
    batch: createChatQueue(connection, prefix, config, 'batch'),
  };
  const all = [lanes.interactive, lanes.job, lanes.batch];
  return {
    ...jobQueuesOf(all),
    lanes,
    all,
    close: async () => {
      await Promise.all(all.map((queue) => queue.close()));
    },
  };
}

/** A job's hash key in the queue its id names, computed as BullMQ does (no connection needed): for readers without queues. */
export function jobKeysOf(prefix: QueuePrefix): Pick<JobQueues, 'toKey'> {
  const keys = new QueueKeys(prefix);
  return { toKey: (jobId) => keys.toKey(queueNameOfJob(jobId), jobId) };
}

export { laneQueueNames };
