import { z } from 'zod';
import { chatRequestObjectSchema, withChatRules } from './chat';
import { attemptSchema, errorTypeSchema } from './errors';
import { chatJobResultSchema } from './job';

/** Where an asynchronous job is in its life. */
export const jobStatusSchema = z.enum(['queued', 'active', 'completed', 'failed', 'cancelled', 'expired']);
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** Body of `POST /v1/jobs`: a chat request, plus an optional URL that receives the outcome by POST. */
export const jobRequestSchema = withChatRules(
  chatRequestObjectSchema.extend({
    callback_url: z.string().min(1).max(2048).optional(),
    /** Keep the answer's stream events: GET /v1/jobs/{id}/stream attaches to it (from the start or a Last-Event-ID). */
    stream: z.boolean().optional(),
  }),
);
export type JobRequest = z.infer<typeof jobRequestSchema>;

/** Answer of `POST /v1/jobs` (202). */
export const jobAcceptedSchema = z.object({ job_id: z.string(), status: jobStatusSchema });
export type JobAccepted = z.infer<typeof jobAcceptedSchema>;

/** The error of a failed job as `GET /v1/jobs/:id` shows it. */
export const jobViewErrorSchema = z.object({
  type: errorTypeSchema,
  message: z.string(),
  attempts: z.array(attemptSchema).optional(),
});
export type JobViewError = z.infer<typeof jobViewErrorSchema>;

/** Answer of `GET /v1/jobs/:id` and the body POSTed to a job's callback_url. */
export const jobViewSchema = z.object({
  job_id: z.string(),
  status: jobStatusSchema,
  result: chatJobResultSchema.optional(),
  error: jobViewErrorSchema.optional(),
});
export type JobView = z.infer<typeof jobViewSchema>;

/** One request of a batch given as a JSON array: a chat request with an optional caller-chosen id. */
export const batchItemSchema = withChatRules(
  chatRequestObjectSchema.extend({
    custom_id: z.string().min(1).max(256).optional(),
  }),
);
export type BatchItem = z.infer<typeof batchItemSchema>;

/** A batch's spending cap: positive USD (its requests past that spend end `budget_exceeded` without running). */
export const batchMaxCostSchema = z.number().positive().max(1_000_000);
const durationUnitsMs = { s: 1000, m: 60_000, h: 3_600_000 } as const;
const longestCompletionWindowMs = 7 * 24 * 3_600_000;

/** A completion window (`24h`, `30m`, `90s`) in ms. */
export function completionWindowMs(window: string): number {
  const unit = window.slice(-1) as keyof typeof durationUnitsMs;
  return Number(window.slice(0, -1)) * durationUnitsMs[unit];
}

/** How long a batch's requests may wait to start (OpenAI's `completion_window`, e.g. "24h"); up to 7 days. */
export const completionWindowSchema = z
  .string()
  .regex(/^[1-9]\d{0,6}[smh]$/, 'a duration such as "24h", "30m" or "90s"')
  .refine((window) => completionWindowMs(window) <= longestCompletionWindowMs, 'at most 7 days');

/** Options of a batch: members of a `{"requests": [...]}` body, or query parameters (JSONL). Unknown ones are ignored. */
export const batchOptionsSchema = z.object({
  /** Receives the batch's view (POST, signed like a job's) once every request has ended. */
  callback_url: z.string().min(1).max(2048).optional(),
  /** Requests not started by then end as `expired`. */
  completion_window: completionWindowSchema.optional(),
});
export type BatchOptions = z.infer<typeof batchOptionsSchema>;

/** Where a batch is, as OpenAI names it: running, all requests ended, cancelled by its owner, or its window passed. */
export const batchStatusSchema = z.enum(['in_progress', 'completed', 'cancelling', 'cancelled', 'expired']);
export type BatchStatus = z.infer<typeof batchStatusSchema>;

/** Answer of `POST /v1/batches` (202). */
export const batchAcceptedSchema = z.object({ batch_id: z.string(), total: z.number().int(), job_ids: z.array(z.string()) });
export type BatchAccepted = z.infer<typeof batchAcceptedSchema>;

/** One request's outcome in `GET /v1/batches/:id?results=true`. */
export const batchResultSchema = jobViewSchema.extend({ custom_id: z.string().optional() });
export type BatchResult = z.infer<typeof batchResultSchema>;

/** Answer of `GET /v1/batches/:id` (and each entry of `GET /v1/batches`, and a batch's callback body). */
export const batchViewSchema = z.object({
  batch_id: z.string(),
  object: z.literal('batch'),
  status: batchStatusSchema,
  total: z.number().int(),
  created_at: z.number(),
  /** Unix ms past which requests not started end `expired` (a completion_window was given). */
  expires_at: z.number().optional(),
  cancelled_at: z.number().optional(),
  counts: z.record(jobStatusSchema, z.number().int()),
  /** Requests that did not run, or were refused, for a budget (the batch's `max_cost_usd` or a budget): part of `failed`. */
  budget_exceeded: z.number().int(),
  /** The batch's cap, when it has one, and what its requests have cost so far. */
  max_cost_usd: z.number().optional(),
  spent_usd: z.number().optional(),
  done: z.boolean(),
  /** `?results=true`: the results of the page (`after` = the job id or index before it, `limit`). */
  results: z.array(batchResultSchema).optional(),
  /** `?results=true`: more results after this page; ask again with `after` = `last_id`. */
  has_more: z.boolean().optional(),
  last_id: z.string().optional(),
});
export type BatchView = z.infer<typeof batchViewSchema>;

/** Answer of `GET /v1/batches` (the caller's own, newest first, paged with `after` and `limit`), as OpenAI lists. */
export const batchListSchema = z.object({
  object: z.literal('list'),
  data: z.array(batchViewSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});
export type BatchList = z.infer<typeof batchListSchema>;
