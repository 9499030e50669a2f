import { ErrorCode, Job, Queue, Worker, type Processor } from 'bullmq';
import type { BatchView, JobView } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { callbackJobId, queueNames } from './keys';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

/**
 * A pending delivery to a callback_url: a payload fixed when it was enqueued (a job cancelled before it ran) or when
 * it was first found ready; a job's outcome, read from the job's own hash when it is delivered (recorded before the
 * job ran); or a batch's view at its end, read when delivered (recorded when the batch was created).
 */
export type CallbackJobData = { url: string; payload: JobView | BatchView } | { url: string; job_id: string } | { url: string; batch_id: string };

/** The id a callback is about (for logs): its job's, or its batch's. */
export function callbackSubject(data: CallbackJobData): string {
  if ('job_id' in data) return data.job_id;
  if ('batch_id' in data) return data.batch_id;
  return 'job_id' in data.payload ? data.payload.job_id : data.payload.batch_id;
}

export type CallbackQueue = Queue<CallbackJobData>;

/** The producer side of the callbacks queue; deliveries are retried with exponential backoff. */
export function createCallbackQueue(connection: RedisClient, prefix: QueuePrefix, config: Pick<Config, 'queue' | 'jobs'>): CallbackQueue {
  return new Queue<CallbackJobData>(queueNames.callbacks, {
    connection,
    prefix,
    defaultJobOptions: {
      attempts: config.jobs.callbackMaxAttempts,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: config.queue.retentionSeconds, count: 100_000 },
      removeOnFail: { age: config.queue.retentionSeconds * 24, count: 100_000 },
    },
  });
}

/**
 * Records, before a job runs, the delivery of its outcome: the callback job `cb-<jobId>` (one per job however often
 * it runs), delayed by `recheckMs`. It lives in Redis before the job can end, so a worker that dies after ending the
 * job, before making it due, loses nothing: it falls due by itself, and its delivery waits again while the job has
 * not ended. One command (BullMQ's add script), only for jobs with a callback_url.
 */
export async function recordJobCallback(queue: CallbackQueue, jobId: string, url: string, recheckMs: number): Promise<void> {
  await queue.add('callback', { url, job_id: jobId }, { jobId: callbackJobId(jobId), delay: recheckMs });
}

/**
 * Makes a job's recorded delivery due now (its job has just ended): one command (BullMQ's promote script). False
 * when there is nothing to promote: none recorded, or already due, being delivered or delivered.
 */
export async function promoteJobCallback(queue: CallbackQueue, jobId: string): Promise<boolean> {
  return promoteCallback(queue, callbackJobId(jobId));
}

/** Makes the recorded callback job `callbackId` due now; false when it is not delayed (or not there). */
export async function promoteCallback(queue: CallbackQueue, callbackId: string): Promise<boolean> {
  const recorded = new Job<CallbackJobData>(queue, 'callback', { url: '', job_id: callbackId }, {}, callbackId);
  try {
    await recorded.promote();
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === ErrorCode.JobNotInState || code === ErrorCode.JobNotExist) return false;
    throw error;
  }
}

/**
 * Enqueues the delivery of a job's outcome once (the job id dedupes a repeated finish). A delivery recorded when the
 * job ran (it ran, then waited again) is made due instead: it reads the outcome from the job when delivered.
 */
export async function enqueueCallback(queue: CallbackQueue, url: string, payload: JobView): Promise<void> {
  await queue.add('callback', { url, payload }, { jobId: callbackJobId(payload.job_id) });
  await promoteJobCallback(queue, payload.job_id);
}

/**
 * A worker delivering callbacks, with the chat workers' lock and stall settings: a delivery cut by its worker's
 * death is made again by another after at most lockDuration + stalledInterval.
 */
export function createCallbackWorker(
  processor: Processor<CallbackJobData>,
  options: { connection: RedisClient; prefix: QueuePrefix; config: Pick<Config, 'worker'>; concurrency?: number },
): Worker<CallbackJobData> {
  const { worker } = options.config;
  return new Worker<CallbackJobData>(queueNames.callbacks, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 50,
    lockDuration: worker.lockDurationMs,
    stalledInterval: worker.stalledIntervalMs,
    maxStalledCount: worker.maxStalledCount,
  });
}
