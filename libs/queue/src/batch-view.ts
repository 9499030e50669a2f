import { jobStatusSchema, type BatchResult, type BatchStatus, type BatchView, type JobStatus, type JobView } from '@gateway/contracts';
import { batchJobId, markBatchEnded, type BatchRecord, type BatchTokenUsage } from './batch-store';
import { batchFileId } from './file-ids';
import type { ChatQueue } from './chat-queue';
import { readCompletedResults, type CompletedResult } from './completed-results';
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

const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : Math.floor(ms / 1000));

/** The tokens of a batch's completed requests, read a page at a time (once, when it has ended). */
async function sumUsage(redis: RedisClient, queue: Pick<ChatQueue, 'toKey'>, prefix: QueuePrefix, record: BatchRecord): Promise<BatchTokenUsage> {
  const usage: BatchTokenUsage = { input: 0, cachedInput: 0, output: 0, reasoning: 0 };
  for (let first = 0; first < record.total; first += 500) {
    const ids = Array.from({ length: Math.min(500, record.total - first) }, (_, offset) => batchJobId(record.batchId, first + offset));
    for (const view of await readJobViews(redis, queue, prefix, ids, true)) {
      const tokens = view?.result?.usage;
      if (!tokens) continue;
      usage.input += tokens.prompt_tokens;
      usage.cachedInput += tokens.prompt_tokens_details?.cached_tokens ?? 0;
      usage.output += tokens.completion_tokens;
      usage.reasoning += tokens.completion_tokens_details?.reasoning_tokens ?? 0;
    }
  }
  return usage;
}

/** OpenAI's Batch fields of a batch in `status`, its end (ms) known once every request has ended. */
function openAiFields(
  record: BatchRecord,
  status: BatchStatus,
  counts: Record<JobStatus, number>,
  endedAt: number | undefined,
  usage: BatchTokenUsage | undefined,
) {
  const failed = counts.failed + counts.expired;
  const ended = seconds(endedAt);
  return {
    id: record.batchId,
    object: 'batch' as const,
    endpoint: record.endpoint ?? '/v1/chat/completions',
    errors: null,
    input_file_id: record.inputFileId ?? null,
    completion_window: record.completionWindow ?? 'none',
    status,
    output_file_id: batchFileId(record.batchId, 'output'),
    error_file_id: failed + counts.cancelled > 0 ? batchFileId(record.batchId, 'errors') : null,
    created_at: Math.floor(record.createdAt / 1000),
    // Validated before it is created: in progress from the start.
    in_progress_at: Math.floor(record.createdAt / 1000),
    expires_at: seconds(record.expiresAt),
    finalizing_at: status === 'completed' ? ended : null,
    completed_at: status === 'completed' ? ended : null,
    failed_at: null,
    expired_at: status === 'expired' ? (ended ?? seconds(record.expiresAt)) : null,
    cancelling_at: seconds(record.cancelledAt),
    cancelled_at: status === 'cancelled' ? ended : null,
    request_counts: { total: record.total, completed: counts.completed, failed },
    metadata: record.metadata ?? null,
    ...(usage
      ? {
          usage: {
            input_tokens: usage.input,
            input_tokens_details: { cached_tokens: usage.cachedInput },
            output_tokens: usage.output,
            output_tokens_details: { reasoning_tokens: usage.reasoning },
            total_tokens: usage.input + usage.output,
          },
        }
      : {}),
  };
}

/** Where a batch's requests are: counted by state, whether all have ended, and (once they have) when, and its usage. */
export interface BatchState {
  counts: Record<JobStatus, number>;
  /** Requests that did not run because the batch reached its max_cost_usd (counted among the failed too). */
  budgetExceeded: number;
  done: boolean;
  /** Unix ms when its last request was first seen ended; set once done. */
  endedAt?: number | undefined;
  usage?: BatchTokenUsage | undefined;
}

/**
 * A batch's requests counted by state (one script per 500 of them, sent together). The first read that sees every
 * request ended records when, with the usage: every view of the batch (OpenAI's, Anthropic's) reads it from here.
 */
export async function readBatchState(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  prefix: QueuePrefix,
  record: BatchRecord,
  now = Date.now(),
): Promise<BatchState> {
  const jobIds = Array.from({ length: record.total }, (_, index) => batchJobId(record.batchId, index));
  const views = await readJobViews(redis, queue, prefix, jobIds, false);
  const counts = Object.fromEntries(jobStatusSchema.options.map((status) => [status, 0])) as Record<JobStatus, number>;
  let budgetExceeded = 0;
  views.forEach((found, index) => {
    const view = requestView(found, jobIds[index]!, record, now);
    counts[view.status] += 1;
    if (view.error?.type === 'budget_exceeded') budgetExceeded += 1;
  });
  const done = counts.queued === 0 && counts.active === 0;
  if (!done) return { counts, budgetExceeded, done };
  if (record.endedAt !== undefined) return { counts, budgetExceeded, done, endedAt: record.endedAt, usage: record.usage };
  const ended = await markBatchEnded(redis, prefix, record.batchId, now, await sumUsage(redis, queue, prefix, record));
  return { counts, budgetExceeded, done, ...ended };
}

/**
 * A batch's view: OpenAI's Batch object and the gateway's counts of every request (readBatchState), and the results
 * of one page when asked. The same view answers GET /v1/batches/:id, lists the batch, and is POSTed to its
 * callback_url at its end.
 */
export async function readBatchView(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  prefix: QueuePrefix,
  record: BatchRecord,
  options: BatchViewOptions = {},
): Promise<BatchView> {
  const now = options.now ?? Date.now();
  const { counts, budgetExceeded, done, endedAt, usage } = await readBatchState(redis, queue, prefix, record, now);
  const view: BatchView = {
    ...openAiFields(record, batchStatus(record, counts, done, now), counts, endedAt, usage),
    batch_id: record.batchId,
    total: record.total,
    counts,
    budget_exceeded: budgetExceeded,
    done,
  };
  if (!options.results) return view;
  const first = Math.max(0, options.results.after + 1);
  const pageIds = Array.from({ length: Math.max(0, Math.min(options.results.limit, record.total - first)) }, (_, offset) =>
    batchJobId(record.batchId, first + offset),
  );
  const page = await readJobViews(redis, queue, prefix, pageIds, true);
  const results: BatchResult[] = page.map((found, offset) => {
    const customId = record.customIds[first + offset];
    return { ...(customId ? { custom_id: customId } : {}), ...requestView(found, pageIds[offset]!, record, now) };
  });
  return { ...view, results, has_more: first + pageIds.length < record.total, ...(pageIds.length > 0 ? { last_id: pageIds[pageIds.length - 1]! } : {}) };
}

/** One request of a batch as its results show it: its index, its caller's id, and its view (with its result). */
export interface BatchRequestOutcome {
  index: number;
  customId: string | undefined;
  view: JobView;
}

/**
 * A batch's requests with their outcomes, in pages of `pageSize` (the next read while the caller writes one, never
 * more ahead, so a 50,000-request batch is never held whole).
 */
export async function* batchOutcomePages(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  prefix: QueuePrefix,
  record: BatchRecord,
  pageSize = 1000,
): AsyncGenerator<BatchRequestOutcome[]> {
  const now = Date.now();
  yield* pagesReadAhead(record.total, pageSize, async (first, count) => {
    const pageIds = Array.from({ length: count }, (_, offset) => batchJobId(record.batchId, first + offset));
    const page = await readJobViews(redis, queue, prefix, pageIds, true);
    return page.map((found, offset) => ({
      index: first + offset,
      customId: record.customIds[first + offset] || undefined,
      view: requestView(found, pageIds[offset]!, record, now),
    }));
  });
}

/** The results of a page of a batch's requests: `results[i]` is request `first + i`'s, undefined unless it completed. */
export interface BatchCompletedPage {
  first: number;
  results: (CompletedResult | undefined)[];
}

/**
 * The results of a batch's completed requests (its output file), in pages of `pageSize`, read ahead as
 * batchOutcomePages does. A request's result is here exactly when its view (batchOutcomePages) is `completed` with it.
 */
export async function* batchCompletedPages(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  record: BatchRecord,
  pageSize = 2000,
): AsyncGenerator<BatchCompletedPage> {
  yield* pagesReadAhead(record.total, pageSize, async (first, count) => {
    const pageIds = Array.from({ length: count }, (_, offset) => batchJobId(record.batchId, first + offset));
    return { first, results: await readCompletedResults(redis, queue, pageIds) };
  });
}

/** Pages of `total` items read by `readPage`, the next read while the caller uses one: one page ahead, never more. */
async function* pagesReadAhead<T>(total: number, pageSize: number, readPage: (first: number, count: number) => Promise<T>): AsyncGenerator<T> {
  const ahead = (first: number) => {
    const page = readPage(first, Math.min(pageSize, total - first));
    // A reader that stops early leaves the page ahead unread: its failure must not go unhandled.
    page.catch(() => undefined);
    return page;
  };
  let next = total > 0 ? ahead(0) : undefined;
  for (let first = 0; next !== undefined; first += pageSize) {
    const page = await next;
    next = first + pageSize < total ? ahead(first + pageSize) : undefined;
    yield page;
  }
}

/** A batch's results as the gateway's JSONL lines (`GET /v1/batches/:id/results`), a page at a time. */
export async function* batchResultLines(
  redis: RedisClient,
  queue: Pick<ChatQueue, 'toKey'>,
  prefix: QueuePrefix,
  record: BatchRecord,
  pageSize = 500,
): AsyncGenerator<string> {
  for await (const page of batchOutcomePages(redis, queue, prefix, record, pageSize)) {
    let text = '';
    for (const { customId, view } of page) text += `${JSON.stringify({ ...(customId ? { custom_id: customId } : {}), ...view })}\n`;
    yield text;
  }
}
