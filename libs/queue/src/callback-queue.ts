import { Queue, Worker, type Processor } from 'bullmq';
import type { BatchView, JobView } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { queueNames } from './keys';
import type { RedisClient } from './redis-connection';

/** A pending delivery of a job's outcome (or a batch's end) to its callback_url. */
export interface CallbackJobData {
  url: string;
  payload: JobView | BatchView;
}

/** The id a callback is about (for logs): its job's, or its batch's. */
export function callbackSubject(payload: JobView | BatchView): string {
  return 'job_id' in payload ? payload.job_id : payload.batch_id;
}

export type CallbackQueue = Queue<CallbackJobData>;

/** The producer side of the callbacks queue; deliveries are retried with exponential backoff. */
export function createCallbackQueue(connection: RedisClient, prefix: string, config: Pick<Config, 'queue' | 'jobs'>): CallbackQueue {
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

/** Enqueues the delivery of a job's outcome once (the job id dedupes a repeated finish). */
export async function enqueueCallback(queue: CallbackQueue, url: string, payload: JobView): Promise<void> {
  await queue.add('callback', { url, payload }, { jobId: `cb-${payload.job_id}` });
}

/** Enqueues the delivery of a batch's view at its end once (the batch id dedupes). */
export async function enqueueBatchCallback(queue: CallbackQueue, url: string, payload: BatchView): Promise<void> {
  await queue.add('batch-callback', { url, payload }, { jobId: `cb-batch-${payload.batch_id}` });
}

/** A worker delivering callbacks. */
export function createCallbackWorker(
  processor: Processor<CallbackJobData>,
  options: { connection: RedisClient; prefix: string; concurrency?: number },
): Worker<CallbackJobData> {
  return new Worker<CallbackJobData>(queueNames.callbacks, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 50,
  });
}
