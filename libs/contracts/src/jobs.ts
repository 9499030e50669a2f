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

/** OpenAI's batch metadata: up to 16 string pairs (keys up to 64 characters, values up to 512). */
export const batchMetadataSchema = z
  .record(z.string().max(64), z.string().max(512))
  .refine((metadata) => Object.keys(metadata).length <= 16, 'at most 16 pairs');

/** The routes a batch's lines may name (OpenAI's `endpoint`). */
export const batchEndpointSchema = z.enum(['/v1/chat/completions', '/v1/responses', '/v1/embeddings']);
export type BatchEndpoint = z.infer<typeof batchEndpointSchema>;

/** Options of a batch: members of a `{"requests": [...]}` body, or query parameters (JSONL). Unknown ones are ignored. */
export const batchOptionsSchema = z.object({
  /** Receives the batch's view (POST, signed like a job's) once every request has ended. */
  callback_url: z.string().min(1).max(2048).optional(),
  /** Requests not started by then end as `expired`. */
  completion_window: completionWindowSchema.optional(),
  metadata: batchMetadataSchema.nullish(),
  /**
   * The response cache for the requests that say nothing themselves (their own `"cache"` wins; the create call's
   * `X-Gateway-Cache` header wins over both): true looks each up and fills it, false bypasses it. A query parameter
   * gives it as `true` or `false`.
   */
  cache: z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean()).optional(),
});
export type BatchOptions = z.infer<typeof batchOptionsSchema>;

/** Body of `POST /v1/batches` in OpenAI's shape: the requests are the lines of an uploaded file (`POST /v1/files`). */
export const fileBatchOptionsSchema = batchOptionsSchema.extend({
  input_file_id: z.string().min(1).max(200),
  endpoint: batchEndpointSchema,
  completion_window: completionWindowSchema,
});
export type FileBatchOptions = z.infer<typeof fileBatchOptionsSchema>;

/**
 * Where a batch is, as OpenAI names it: running, all requests ended, cancelled by its owner, or its window passed.
 * (`validating`, `finalizing` and `failed` are OpenAI's too: a gateway batch is validated before it is created, and its
 * output is readable as it grows, so it never stays in them.)
 */
export const batchStatusSchema = z.enum(['validating', 'in_progress', 'finalizing', 'completed', 'failed', 'cancelling', 'cancelled', 'expired']);
export type BatchStatus = z.infer<typeof batchStatusSchema>;

/** A batch's requests accepted: its id, its size and its requests' job ids (the native create's own fields). */
export const batchAcceptedSchema = z.object({ batch_id: z.string(), total: z.number().int(), job_ids: z.array(z.string()) });
export type BatchAccepted = z.infer<typeof batchAcceptedSchema>;

/** One request's outcome in `GET /v1/batches/:id?results=true`. */
export const batchResultSchema = jobViewSchema.extend({ custom_id: z.string().optional() });
export type BatchResult = z.infer<typeof batchResultSchema>;

const unixSeconds = z.number().int().nullable();

/**
 * Answer of `GET /v1/batches/:id` (and each entry of `GET /v1/batches`, and a batch's callback body): OpenAI's Batch
 * object (timestamps in Unix seconds), with the gateway's own fields beside it.
 */
export const batchViewSchema = z.object({
  id: z.string(),
  object: z.literal('batch'),
  endpoint: z.string(),
  errors: z.object({ object: z.literal('list'), data: z.array(z.object({ code: z.string(), message: z.string(), line: z.number().nullable() })) }).nullable(),
  input_file_id: z.string().nullable(),
  completion_window: z.string(),
  status: batchStatusSchema,
  output_file_id: z.string().nullable(),
  error_file_id: z.string().nullable(),
  created_at: z.number().int(),
  in_progress_at: unixSeconds,
  expires_at: unixSeconds,
  finalizing_at: unixSeconds,
  completed_at: unixSeconds,
  failed_at: unixSeconds,
  expired_at: unixSeconds,
  cancelling_at: unixSeconds,
  cancelled_at: unixSeconds,
  request_counts: z.object({ total: z.number().int(), completed: z.number().int(), failed: z.number().int() }),
  metadata: z.record(z.string(), z.string()).nullable(),
  /** The tokens of the requests that completed, in the Responses API's names (OpenAI's batch usage), once it has ended. */
  usage: z
    .object({
      input_tokens: z.number().int(),
      input_tokens_details: z.object({ cached_tokens: z.number().int() }),
      output_tokens: z.number().int(),
      output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
      total_tokens: z.number().int(),
    })
    .optional(),
  /** The gateway's own: the batch id again, its size, its requests counted by state. */
  batch_id: z.string(),
  total: z.number().int(),
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

/** Answer of `POST /v1/batches` with a native body (202): the Batch object, with the requests' job ids beside it. */
export const batchCreatedSchema = batchViewSchema.extend({ job_ids: z.array(z.string()) });
export type BatchCreated = z.infer<typeof batchCreatedSchema>;

/** Answer of `GET /v1/batches` (the caller's own, newest first, paged with `after` and `limit`), as OpenAI lists. */
export const batchListSchema = z.object({
  object: z.literal('list'),
  data: z.array(batchViewSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});
export type BatchList = z.infer<typeof batchListSchema>;
