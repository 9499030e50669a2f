import {
  GatewayError,
  chatJobResultSchema,
  fromJobError,
  jobErrorSchema,
  jobFailed,
  malformedJobResult,
  toGatewayError,
  type JobView,
} from '@gateway/contracts';
import type { ChatQueue } from './chat-queue';
import { queueKeys } from './keys';
import { joinStoredEmbeddings } from './stored-embeddings';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

/** The gateway error a failed job carries in its failedReason (JSON written by the worker). */
export function errorFromFailedReason(reason: string | null | undefined): GatewayError {
  try {
    return fromJobError(jobErrorSchema.parse(JSON.parse(reason ?? '')));
  } catch {
    return jobFailed(reason);
  }
}

function viewError(error: GatewayError): NonNullable<JobView['error']> {
  return { type: error.type, message: error.message, ...(error.details.attempts ? { attempts: error.details.attempts } : {}) };
}

/** Whether a failedReason (JSON written by the worker) carries the marker `"<marker>":true`. */
function reasonMarked(reason: string | null | undefined, marker: 'cancelled' | 'expired'): boolean {
  if (!reason || !reason.includes(`"${marker}"`)) return false;
  try {
    return (JSON.parse(reason) as Record<string, unknown>)[marker] === true;
  } catch {
    return false;
  }
}

/** Builds a job's view from the fields of its BullMQ hash; undefined when the job does not exist. */
export function jobViewFromFields(jobId: string, fields: readonly (string | null)[], cancelled: boolean, withResult: boolean): JobView | undefined {
  const [timestamp, processedOn, finishedOn, failedReason, returnvalue] = fields;
  if (!timestamp && !cancelled) return undefined;
  if (finishedOn && !failedReason && timestamp) {
    if (!withResult) return { job_id: jobId, status: 'completed' };
    try {
      return { job_id: jobId, status: 'completed', result: chatJobResultSchema.parse(JSON.parse(returnvalue ?? '')) };
    } catch {
      return { job_id: jobId, status: 'failed', error: viewError(malformedJobResult()) };
    }
  }
  // A job cancelled while running (stream client gone, DELETE) fails with {"cancelled":true} in its reason.
  if (cancelled || reasonMarked(failedReason, 'cancelled')) return { job_id: jobId, status: 'cancelled' };
  // A batch request whose completion_window passed before a worker took it: it never ran.
  if (reasonMarked(failedReason, 'expired')) return { job_id: jobId, status: 'expired' };
  // The error is read either way (its reason is fetched anyway): a batch's summary counts failures by type.
  if (finishedOn) return { job_id: jobId, status: 'failed', error: viewError(errorFromFailedReason(failedReason)) };
  if (processedOn) return { job_id: jobId, status: 'active' };
  return { job_id: jobId, status: 'queued' };
}

/**
 * Reads the views of many jobs in one pipeline (one HMGET and one EXISTS per job): a batch of 10,000 jobs
 * costs one round trip, not 10,000. `undefined` for a job that is gone (removed after its retention time).
 */
export async function readJobViews(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  prefix: QueuePrefix,
  jobIds: readonly string[],
  withResults: boolean,
): Promise<(JobView | undefined)[]> {
  const fields = withResults
    ? ['timestamp', 'processedOn', 'finishedOn', 'failedReason', 'returnvalue']
    : ['timestamp', 'processedOn', 'finishedOn', 'failedReason'];
  const views: (JobView | undefined)[] = [];
  const chunk = 2000;
  for (let start = 0; start < jobIds.length; start += chunk) {
    const ids = jobIds.slice(start, start + chunk);
    const pipeline = redis.pipeline();
    for (const jobId of ids) {
      pipeline.hmget(queue.toKey(jobId), ...fields);
      pipeline.exists(queueKeys.jobCancelled(prefix, jobId));
    }
    const replies = (await pipeline.exec()) ?? [];
    ids.forEach((jobId, index) => {
      const [hashError, hash] = replies[index * 2] ?? [null, null];
      const [existsError, exists] = replies[index * 2 + 1] ?? [null, 0];
      if (hashError) throw hashError;
      if (existsError) throw existsError;
      views.push(jobViewFromFields(jobId, (hash as (string | null)[] | null) ?? [], exists === 1, withResults));
    });
  }
  return withResults ? Promise.all(views.map((view) => withStoredEmbeddings(redis, view))) : views;
}

/** A completed view with its vectors joined back (sent together: one round trip for a page); gone, the view says so. */
async function withStoredEmbeddings(redis: RedisClient, view: JobView | undefined): Promise<JobView | undefined> {
  if (view?.status !== 'completed' || !view.result?.embeddings_stored) return view;
  try {
    return { ...view, result: await joinStoredEmbeddings(redis, view.result) };
  } catch (error) {
    return { job_id: view.job_id, status: 'failed', error: viewError(toGatewayError(error, () => malformedJobResult())) };
  }
}

/** Marks a job cancelled for as long as finished jobs are kept. */
export async function markJobCancelled(redis: RedisClient, prefix: QueuePrefix, jobId: string, retentionSeconds: number): Promise<void> {
  await redis.set(queueKeys.jobCancelled(prefix, jobId), '1', 'EX', retentionSeconds);
}

/** Whether a job was cancelled. */
export async function isJobCancelled(redis: RedisClient, prefix: QueuePrefix, jobId: string): Promise<boolean> {
  return (await redis.exists(queueKeys.jobCancelled(prefix, jobId))) === 1;
}
