// The declaration of Lua imports must reach every project that compiles this lib.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./lua.d.ts" />
import {
  GatewayError,
  chatJobResultSchema,
  fromJobError,
  jobErrorSchema,
  jobFailed,
  malformedJobResult,
  plainChatJobResult,
  toGatewayError,
  type ChatJobResult,
  type JobView,
} from '@gateway/contracts';
import type { ChatQueue } from './chat-queue';
import { defineLuaFile, runLuaScript } from './lua-script';
import jobStatesSource from './lua/job-states.lua';
import { queueKeys } from './keys';
import { joinStoredEmbeddings } from './stored-embeddings';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

const jobStates = defineLuaFile('job-states.lua', jobStatesSource);

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

/** A completed job's return value (JSON written by BullMQ) as its result; undefined when malformed (its view is then failed). */
export function parseJobResult(returnvalue: string): ChatJobResult | undefined {
  try {
    const parsed: unknown = JSON.parse(returnvalue);
    return plainChatJobResult(parsed) ?? chatJobResultSchema.parse(parsed);
  } catch {
    return undefined;
  }
}

/** Builds a job's view from the fields of its BullMQ hash; undefined when the job does not exist. */
export function jobViewFromFields(jobId: string, fields: readonly (string | null)[], cancelled: boolean, withResult: boolean): JobView | undefined {
  const [timestamp, processedOn, finishedOn, failedReason, returnvalue] = fields;
  if (!timestamp && !cancelled) return undefined;
  if (finishedOn && !failedReason && timestamp) {
    if (!withResult) return { job_id: jobId, status: 'completed' };
    const result = parseJobResult(returnvalue ?? '');
    return result ? { job_id: jobId, status: 'completed', result } : { job_id: jobId, status: 'failed', error: viewError(malformedJobResult()) };
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

/** Jobs read by one script (two keys each): a few ms of Redis at most, and the reply of a page of a batch's results. */
const JOBS_PER_READ = 500;

/**
 * Reads the views of many jobs, a script (job-states.lua) per JOBS_PER_READ of them, all sent at once: a batch of
 * 10,000 jobs costs one round trip and 20 commands, not 20,000. `undefined` for a job that is gone (removed after
 * its retention time).
 */
export async function readJobViews(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  prefix: QueuePrefix,
  jobIds: readonly string[],
  withResults: boolean,
): Promise<(JobView | undefined)[]> {
  // The script's fields per job (see job-states.lua), then the cancelled marker.
  const width = withResults ? 6 : 5;
  const reads: Promise<unknown>[] = [];
  for (let start = 0; start < jobIds.length; start += JOBS_PER_READ) {
    const keys: string[] = [];
    for (const jobId of jobIds.slice(start, start + JOBS_PER_READ)) keys.push(queue.toKey(jobId), queueKeys.jobCancelled(prefix, jobId));
    reads.push(runLuaScript(redis, jobStates, keys, [withResults ? '1' : '0']));
  }
  const views: (JobView | undefined)[] = [];
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  for (const [read, reply] of (await Promise.all(reads)).entries()) {
    const values: unknown = JSON.parse(String(reply));
    if (!Array.isArray(values)) throw new Error('job-states.lua answered no array');
    const first = read * JOBS_PER_READ;
    for (let at = 0, offset = 0; at < values.length; at += width, offset += 1) {
      const hash = [text(values[at]), text(values[at + 1]), text(values[at + 2]), text(values[at + 3]), text(values[at + 4])];
      views.push(jobViewFromFields(jobIds[first + offset]!, hash, values[at + width - 1] === 1, withResults));
    }
  }
  if (!withResults) return views;
  // Vectors kept apart are joined back (one round trip for a page); other views are as read.
  const stored = views.flatMap((view, index) => (view?.status === 'completed' && view.result?.embeddings_stored ? [index] : []));
  await Promise.all(stored.map(async (index) => (views[index] = await withStoredEmbeddings(redis, views[index]))));
  return views;
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
