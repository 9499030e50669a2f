import { jobStatusSchema, type BatchResult, type BatchStatus, type BatchView, type JobStatus, type JobView } from '@gateway/contracts';
import { batchJobId, type BatchRecord } from './batch-store';
import type { ChatQueue } from './chat-queue';
import { readJobViews } from './job-states';
import type { RedisClient } from './redis-connection';
import type { QueuePrefix } from './prefixes';

/** Which results a view carries: none, or the page of `limit` after the index `after` (exclusive; -1: from the start). */
export interface BatchViewOptions {
  results?: { after: number; limit: number } | undefined;
  /** Clock in ms (the completion window); absent: Date.now(). */
  now?: number;
}

/**
 * A request's view as its batch shows it: a request still queued past the batch's window is `expired` (the worker
 * that reaches it ends it so, without calling a provider); a request gone from a cancelled batch was cancelled.
 */
function requestView(found: JobView | undefined, jobId: string, record: BatchRecord, now: number): JobView {
  if (!found) {
    if (record.cancelledAt !== undefined) return { job_id: jobId, status: 'cancelled' };
    return { job_id: jobId, status: 'failed', error: { type: 'not_found', message: 'the job is no longer kept' } };
  }
  if (found.status === 'queued' && record.expiresAt !== undefined && now > record.expiresAt) return { job_id: jobId, status: 'expired' };
  return found;
}

function batchStatus(record: BatchRecord, counts: Record<JobStatus, number>, done: boolean, now: number): BatchStatus {
  if (record.cancelledAt !== undefined) return done ? 'cancelled' : 'cancelling';
  if (counts.expired > 0 || (!done && record.expiresAt !== undefined && now > record.expiresAt)) return 'expired';
  return done ? 'completed' : 'in_progress';
}

/**
 * A batch's view: counts of every request (one pipeline of small reads), and the results of one page when asked.
 * The same view answers GET /v1/batches/:id, lists the batch, and is POSTed to its callback_url at its end.
 */
export async function readBatchView(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  prefix: QueuePrefix,
  record: BatchRecord,
  options: BatchViewOptions = {},
): Promise<BatchView> {
  const now = options.now ?? Date.now();
  const jobIds = Array.from({ length: record.total }, (_, index) => batchJobId(record.batchId, index));
  const views = await readJobViews(redis, queue, prefix, jobIds, false);
  const counts = Object.fromEntries(jobStatusSchema.options.map((status) => [status, 0])) as Record<JobStatus, number>;
  // Requests that did not run because the batch reached its max_cost_usd (counted among the failed too).
  let budgetExceeded = 0;
  views.forEach((found, index) => {
    const view = requestView(found, jobIds[index]!, record, now);
    counts[view.status] += 1;
    if (view.error?.type === 'budget_exceeded') budgetExceeded += 1;
  });
  const done = counts.queued === 0 && counts.active === 0;
  const view: BatchView = {
    batch_id: record.batchId,
    object: 'batch',
    status: batchStatus(record, counts, done, now),
    total: record.total,
    created_at: record.createdAt,
    ...(record.expiresAt !== undefined ? { expires_at: record.expiresAt } : {}),
    ...(record.cancelledAt !== undefined ? { cancelled_at: record.cancelledAt } : {}),
    counts,
    budget_exceeded: budgetExceeded,
    done,
  };
  if (!options.results) return view;
  const first = Math.max(0, options.results.after + 1);
  const pageIds = jobIds.slice(first, first + options.results.limit);
  const page = await readJobViews(redis, queue, prefix, pageIds, true);
  const results: BatchResult[] = page.map((found, offset) => {
    const customId = record.customIds[first + offset];
    return { ...(customId ? { custom_id: customId } : {}), ...requestView(found, pageIds[offset]!, record, now) };
  });
  return { ...view, results, has_more: first + pageIds.length < record.total, ...(pageIds.length > 0 ? { last_id: pageIds[pageIds.length - 1]! } : {}) };
}

/**
 * A batch's results as JSONL lines, in pages of `pageSize` read one after the other (the caller writes each page
 * before the next is read, so a 10,000-request batch is never held whole).
 */
export async function* batchResultLines(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  prefix: QueuePrefix,
  record: BatchRecord,
  pageSize = 500,
): AsyncGenerator<string> {
  const now = Date.now();
  for (let first = 0; first < record.total; first += pageSize) {
    const pageIds = Array.from({ length: Math.min(pageSize, record.total - first) }, (_, offset) => batchJobId(record.batchId, first + offset));
    const page = await readJobViews(redis, queue, prefix, pageIds, true);
    let text = '';
    page.forEach((found, offset) => {
      const customId = record.customIds[first + offset];
      text += `${JSON.stringify({ ...(customId ? { custom_id: customId } : {}), ...requestView(found, pageIds[offset]!, record, now) })}\n`;
    });
    yield text;
  }
}
