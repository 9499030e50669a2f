import { z } from 'zod';
import { errorTypeSchema } from './errors';

/** Tokens of one request by kind (cached is part of prompt, reasoning part of completion). */
export const requestLogTokensSchema = z.object({
  prompt: z.number().int().nonnegative(),
  cached: z.number().int().nonnegative(),
  completion: z.number().int().nonnegative(),
  reasoning: z.number().int().nonnegative(),
});

/**
 * One finished request in the request log (GET /admin/requests): who asked what of whom, how it ended, how long it
 * took and what it cost. No prompt or answer text, unless REQUEST_LOG_BODIES=true (then `request` and `response`).
 */
export const requestLogEntrySchema = z.object({
  object: z.literal('request_log.entry'),
  /** The entry's id in the log (the `after` cursor of the next page). */
  id: z.string(),
  /** When the request finished (ISO 8601). */
  time: z.string(),
  request_id: z.string(),
  job_id: z.string().nullable(),
  key_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  /** The API route the request came in by (`/v1/chat/completions`, `/v1/responses`, `/v1/batches`, …). */
  route: z.string().nullable(),
  /** The model asked for. */
  model: z.string(),
  /** The provider that answered (or was last tried); null when none was reached. */
  provider: z.string().nullable(),
  /**
   * The deployment that served it (or was last tried), by its GATEWAY_CONFIG_FILE id; the provider's id for a provider's
   * implicit deployment (no deployments declared) and for an answer from the response cache.
   */
  deployment: z.string().nullable(),
  /** The HTTP status the request got, or its job's equivalent (200 done, the error type's status otherwise). */
  status: z.number().int(),
  error_type: errorTypeSchema.nullable(),
  /** From acceptance by the API to the end of the job. */
  latency_ms: z.number().nonnegative(),
  /** Streams: from the first provider call to the first token. */
  ttft_ms: z.number().nonnegative().nullable(),
  /** How long the job waited in the queue before a worker took it. */
  queue_ms: z.number().nonnegative().nullable(),
  tokens: requestLogTokensSchema,
  cost_usd: z.number().nonnegative(),
  /**
   * The response cache (RESPONSE_CACHE_TTL_SECONDS): `hit` answered from it (no provider call), `miss` opted in and
   * called the provider (its answer fills the entry), `bypass` did not use it (not opted in, or the cache is off).
   * What the provider served from its own prompt cache is `tokens.cached`. (Entries written before this meaning read
   * `hit` when the provider had cached part of the prompt.)
   */
  cache: z.enum(['hit', 'miss', 'bypass']),
  /** The trace of the request, when traces are exported. */
  trace_id: z.string().optional(),
  /** Only with REQUEST_LOG_BODIES=true, redacted like logs. */
  request: z.unknown().optional(),
  response: z.unknown().optional(),
});
export type RequestLogEntry = z.infer<typeof requestLogEntrySchema>;

/** An entry as written, before the log gives it its id. */
export type RequestLogRecord = Omit<RequestLogEntry, 'object' | 'id'>;

/** A page of the request log, in OpenAI's list shape (newest first). */
export const requestLogPageSchema = z.object({
  object: z.literal('list'),
  data: z.array(requestLogEntrySchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});
export type RequestLogPage = z.infer<typeof requestLogPageSchema>;
