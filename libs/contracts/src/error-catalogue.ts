import { GatewayError } from './errors';

/**
 * Every error the gateway answers that more than one place raises, or that a caller may match on, built in one
 * place (as Fastify's lib/errors.js): read this file to see what the gateway can say. Errors that belong to one
 * provider's wire (an upstream's own message) stay beside their adapter, built from the HTTP mapping in
 * libs/providers.
 */

const clip = (text: string, max: number) => text.slice(0, max);

/** Redis (the queue) is unreachable or timed out: retry in a second. */
export function queueUnavailable(cause?: unknown): GatewayError {
  return new GatewayError('unavailable', 'the queue is unavailable, retry later', { retryAfterSeconds: 1, ...(cause === undefined ? {} : { cause }) });
}

/** A job the caller waits for is gone from the queue (removed, or its Redis data lost). */
export function jobLost(): GatewayError {
  return new GatewayError('unavailable', 'the job was lost from the queue');
}

/** The API is stopping: its waiting callers are released and may retry on another instance. */
export function shuttingDown(): GatewayError {
  return new GatewayError('unavailable', 'the gateway is shutting down, retry', { retryAfterSeconds: 1 });
}

/** Parts of a stream went missing between the worker and the API (`detail` says how it was noticed). */
export function streamLost(detail?: string): GatewayError {
  return new GatewayError('unavailable', detail === undefined ? 'stream chunks were lost in transit' : `stream chunks were lost in transit (${detail})`);
}

/** The SSE client does not read its stream fast enough to keep the gateway's buffer bounded. */
export function slowReader(): GatewayError {
  return new GatewayError('unavailable', 'the client reads too slowly');
}

export interface NotFoundOptions {
  /** Say the thing may have expired (jobs, batches: kept for a retention time). */
  retained?: boolean;
  /** How much of the id to echo back (ids come from the caller). */
  maxIdChars?: number;
}

/** No `what` with this id (a job, batch, key, model…); the id is echoed clipped. */
export function notFound(what: string, id: string, options: NotFoundOptions = {}): GatewayError {
  const suffix = options.retained ? ' (unknown, or past its retention time)' : '';
  return new GatewayError('not_found', `no ${what} ${clip(id, options.maxIdChars ?? 128)}${suffix}`);
}

/** No route answers this method and path. */
export function routeNotFound(method: string, path: string): GatewayError {
  return new GatewayError('not_found', `no route for ${method} ${clip(path, 256)}`);
}

/** The request is wrong: each issue names its field (`messages.0.content: …`). Never retried, never failed over. */
export function invalidRequest(issues: string | readonly string[]): GatewayError {
  const text = typeof issues === 'string' ? issues : issues.join('; ');
  return new GatewayError('invalid_request', `invalid request: ${text}`, { recovery: 'final' });
}

/** No bearer token was sent. */
export function missingCredentials(): GatewayError {
  return new GatewayError('unauthorized', 'missing credentials: send Authorization: Bearer <token>');
}

/** A token was sent and is not valid here (`message` says why when it is more than "invalid"). */
export function unauthorized(message = 'invalid token'): GatewayError {
  return new GatewayError('unauthorized', message);
}

/** A provider call the caller aborted (a cancel, a client gone): never retried, never the provider's failure. */
export function callCancelled(provider: string, cause?: unknown): GatewayError {
  return new GatewayError('cancelled', `${provider}: call cancelled`, { recovery: 'final', ...(cause === undefined ? {} : { cause }) });
}

/** A job whose cancel arrived before a worker started it. */
export function cancelledBeforeStart(): GatewayError {
  return new GatewayError('cancelled', 'cancelled before it started', { recovery: 'final' });
}

/** A failed job whose failedReason is not the gateway's serialised error (BullMQ's own, or an old format). */
export function jobFailed(reason: string | null | undefined): GatewayError {
  return new GatewayError('upstream_error', reason ? `job failed: ${clip(reason, 300)}` : 'job failed');
}

/** A completed job whose stored result does not parse. */
export function malformedJobResult(): GatewayError {
  return new GatewayError('internal_error', 'job result is malformed');
}

/** A bug: the message says nothing of it (the cause is logged, never sent). */
export function internalError(message = 'internal error', cause?: unknown): GatewayError {
  return new GatewayError('internal_error', message, { recovery: 'final', ...(cause === undefined ? {} : { cause }) });
}

/** What a non-GatewayError becomes, chosen by the caller (a provider call, a job, an HTTP request differ). */
export type GatewayErrorFallback = (error: unknown) => GatewayError;

/** Any thrown value as a GatewayError: itself when it is one, else the caller's explicit fallback. */
export function toGatewayError(error: unknown, fallback: GatewayErrorFallback): GatewayError {
  return error instanceof GatewayError ? error : fallback(error);
}

/** A request of a batch that did not run: the batch's spend had reached its `max_cost_usd`. Never retried. */
export function batchCostCapReached(batchId: string, capUsd: number, spentUsd: number, inFlightUsd: number): GatewayError {
  const inFlight = inFlightUsd > 0 ? ` (+$${inFlightUsd.toFixed(6)} reserved by its running requests)` : '';
  return new GatewayError(
    'budget_exceeded',
    `batch ${clip(batchId, 128)} reached its max_cost_usd of $${capUsd}: spent $${spentUsd.toFixed(6)}${inFlight}; this request was not run`,
    { recovery: 'final' },
  );
}

/** The same Idempotency-Key came with another request (route or body): the first one's job is not this one. */
export function idempotencyConflict(jobId: string): GatewayError {
  return new GatewayError('conflict', `this Idempotency-Key was already used with another request (job ${jobId}); use a new key for a new request`, {
    recovery: 'final',
  });
}

/** The Idempotency-Key's work was done and billed, and its result is no longer kept: the key cannot make new work. */
export function idempotencySpent(jobId: string): GatewayError {
  return new GatewayError(
    'conflict',
    `this Idempotency-Key's job ${jobId} finished and is no longer kept (see JOB_RETENTION_SECONDS); use a new key for a new request`,
    { recovery: 'final' },
  );
}

/** A resumable stream's client did not come back within STREAM_RESUME_GRACE_MS. */
export function resumeGraceExpired(graceMs: number): GatewayError {
  return new GatewayError('cancelled', `nobody resumed the stream within ${graceMs} ms`, { recovery: 'final' });
}
