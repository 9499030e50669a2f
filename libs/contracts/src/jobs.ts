import { z } from 'zod';
import { chatRequestObjectSchema, withChatRules } from './chat';
import { attemptSchema, errorTypeSchema } from './errors';
import { chatJobResultSchema } from './job';

/** Where an asynchronous job is in its life. */
export const jobStatusSchema = z.enum(['queued', 'active', 'completed', 'failed', 'cancelled']);
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

/** Answer of `POST /v1/batches` (202). */
export const batchAcceptedSchema = z.object({ batch_id: z.string(), total: z.number().int(), job_ids: z.array(z.string()) });
export type BatchAccepted = z.infer<typeof batchAcceptedSchema>;

/** One request's outcome in `GET /v1/batches/:id?results=true`. */
export const batchResultSchema = jobViewSchema.extend({ custom_id: z.string().optional() });
export type BatchResult = z.infer<typeof batchResultSchema>;

/** Answer of `GET /v1/batches/:id`. */
export const batchViewSchema = z.object({
  batch_id: z.string(),
  total: z.number().int(),
  created_at: z.number(),
  counts: z.record(jobStatusSchema, z.number().int()),
  /** Requests that did not run, or were refused, for a budget (the batch's `max_cost_usd` or a budget): part of `failed`. */
  budget_exceeded: z.number().int(),
  /** The batch's cap, when it has one, and what its requests have cost so far. */
  max_cost_usd: z.number().optional(),
  spent_usd: z.number().optional(),
  done: z.boolean(),
  results: z.array(batchResultSchema).optional(),
});
export type BatchView = z.infer<typeof batchViewSchema>;
