import { z } from 'zod';

/** The error types of the spec: the type crosses the queue and the wire, the HTTP status is derived from it. */
export const errorTypeSchema = z.enum([
  'invalid_request',
  'unauthorized',
  'forbidden',
  'budget_exceeded',
  'not_found',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'upstream_error',
  'unavailable',
  'timeout',
  'internal_error',
  'cancelled',
  'conflict',
]);
export type ErrorType = z.infer<typeof errorTypeSchema>;

/** The one table from error type to HTTP status. */
export const httpStatusByErrorType: Readonly<Record<ErrorType, number>> = Object.freeze({
  invalid_request: 400,
  unauthorized: 401,
  budget_exceeded: 402,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  upstream_error: 502,
  unavailable: 503,
  timeout: 504,
  internal_error: 500,
  // 499 is nginx's "client closed request": the caller (or DELETE /v1/jobs) ended the call, nothing failed. Not 408
  // or 409: those are statuses a server answers to a live caller, and the gateway treats an upstream's 408/409 as
  // retryable (failover), which a cancel must never be; nobody mistakes a 499 for the provider's fault.
  cancelled: 499,
  // The same Idempotency-Key with another body (or a key already spent on work no longer kept).
  conflict: 409,
});

/** One provider call made while serving a request, as reported in an `upstream_error`. */
export const attemptSchema = z.object({
  provider: z.string(),
  status: z.number().int().nullable(),
  reason: z.string(),
});
export type Attempt = z.infer<typeof attemptSchema>;

/** Which budget refused a request (402 `budget_exceeded`), with its figures. */
export const budgetRefusalSchema = z.object({
  name: z.enum(['daily', 'monthly']),
  period: z.string(),
  spent_usd: z.number(),
  in_flight_usd: z.number(),
  limit_usd: z.number(),
  estimate_usd: z.number(),
});
export type BudgetRefusalBody = z.infer<typeof budgetRefusalSchema>;

/** The JSON body of every error answer. */
export const errorBodySchema = z.object({
  error: z.object({
    type: errorTypeSchema,
    message: z.string(),
    request_id: z.string().optional(),
    attempts: z.array(attemptSchema).optional(),
    retry_after_seconds: z.number().optional(),
    budget: budgetRefusalSchema.optional(),
    /** The job a timed-out sync call was waiting for (its result stays readable at GET /v1/jobs/{job_id}). */
    job_id: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * What the worker does after a provider call failed with an error:
 * - `failover`: the provider failed (connection, timeout, 429, 5xx, a malformed answer): try the next provider, and
 *   count the failure against this one (its circuit; a 429 with Retry-After pauses it);
 * - `failover-uncounted`: this provider cannot serve this request (it lacks the model, or refuses the request's size
 *   or content): try the next provider, count nothing against this one; when no provider serves, this is the answer;
 * - `final`: the request itself is wrong, or the caller cancelled: no other provider is tried, nothing is counted.
 */
export type Recovery = 'failover' | 'failover-uncounted' | 'final';

/** Extra facts an error may carry across the queue and onto the wire. */
export interface GatewayErrorDetails {
  /** Provider calls made before giving up. */
  attempts?: Attempt[];
  /** Seconds the caller should wait (429, 503). */
  retryAfterSeconds?: number;
  /** HTTP status the upstream answered, when the error came from one. */
  upstreamStatus?: number;
  /** What the worker does after a provider call failed with this error (absent: `failover`). */
  recovery?: Recovery;
  /** The budget that refused (402). */
  budget?: BudgetRefusalBody;
  /** The job a sync call gave up waiting for (504). */
  jobId?: string;
}

/** The gateway's one error class. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly type: ErrorType;
  readonly details: GatewayErrorDetails;

  constructor(type: ErrorType, message: string, options: { cause?: unknown } & GatewayErrorDetails = {}) {
    const { cause, ...details } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.type = type;
    this.details = details;
  }

  get status(): number {
    return httpStatusByErrorType[this.type];
  }

  /** The wire form (no stack, no cause: causes may hold upstream text or secrets). */
  toBody(requestId?: string): ErrorBody {
    return {
      error: {
        type: this.type,
        message: this.message,
        ...(requestId ? { request_id: requestId } : {}),
        ...(this.details.attempts ? { attempts: this.details.attempts } : {}),
        ...(this.details.retryAfterSeconds !== undefined ? { retry_after_seconds: this.details.retryAfterSeconds } : {}),
        ...(this.details.budget ? { budget: this.details.budget } : {}),
        ...(this.details.jobId ? { job_id: this.details.jobId } : {}),
      },
    };
  }
}

/** What the worker does after a provider call failed with this error (see Recovery). */
export function recoveryOf(error: GatewayError): Recovery {
  return error.details.recovery ?? 'failover';
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** The serialisable form of an error that a worker hands back through Redis. */
export const jobErrorSchema = z.object({
  type: errorTypeSchema,
  message: z.string(),
  attempts: z.array(attemptSchema).optional(),
  retry_after_seconds: z.number().optional(),
  /** The job was cancelled (its client went away, or it was deleted): not a provider failure. */
  cancelled: z.boolean().optional(),
  /** The job was not started within its batch's completion_window: it never ran. */
  expired: z.boolean().optional(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

/**
 * The failure a cancelled job ends with (BullMQ has no cancelled state: the job fails, unretried, with this). The
 * `cancelled` marker stays beside the type: GET /v1/jobs reads it (reasons written before the type existed carry
 * `upstream_error` and the marker).
 */
export function cancelledJobError(reason = 'cancelled by the client'): JobError {
  return { type: 'cancelled', message: reason, cancelled: true };
}

/** The failure a batch request ends with when its completion_window passed before a worker started it. */
export function expiredJobError(): JobError {
  return { type: 'timeout', message: "not started within the batch's completion_window", expired: true };
}

export function toJobError(error: GatewayError): JobError {
  return {
    type: error.type,
    message: error.message,
    ...(error.details.attempts ? { attempts: error.details.attempts } : {}),
    ...(error.details.retryAfterSeconds !== undefined ? { retry_after_seconds: error.details.retryAfterSeconds } : {}),
  };
}
