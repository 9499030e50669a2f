import { GatewayError, type BudgetRefusalBody, type JobError } from './errors';

/**
 * Every error the gateway raises, built in one place (as Fastify's lib/errors.js): read this file and
 * error-catalogue-upstream.ts (what provider calls fail with) to see what the gateway can say. Code elsewhere calls
 * these by name; only tests construct a GatewayError themselves. What decides between errors (a provider's status
 * mapping, which budget refused) stays with the code that knows; the wording and the details are here.
 */

const clip = (text: string, max: number) => text.slice(0, max);

/** Redis (the queue) is unreachable or timed out: retry in a second. */
export function queueUnavailable(cause?: unknown): GatewayError {
  return new GatewayError('unavailable', 'the queue is unavailable, retry later', { retryAfterSeconds: 1, ...(cause === undefined ? {} : { cause }) });
}

/** A batch create that joined its Idempotency-Key's batch while the first request was still creating it (or gave up). */
export function batchStillCreating(batchId: string): GatewayError {
  return new GatewayError('unavailable', `batch ${batchId} of this Idempotency-Key is still being created: retry the same request`, {
    retryAfterSeconds: 1,
  });
}

/** A job the caller waits for is gone from the queue (removed, or its Redis data lost). */
export function jobLost(): GatewayError {
  return new GatewayError('unavailable', 'the job was lost from the queue');
}

/** A completed embeddings job whose vectors were removed (past their retention time): no partial answer is given. */
export function embeddingsExpired(): GatewayError {
  return new GatewayError('not_found', "the job's vectors are past their retention time");
}

/**
 * A synchronous embeddings request whose job completed, but whose vectors were gone from Redis when the API went to
 * read them (evicted under memory pressure, or past their retention at its edge): the answer is lost, the request may
 * be sent again.
 */
export function embeddingsVectorsLost(): GatewayError {
  return new GatewayError('unavailable', "the job's vectors were gone from Redis before its answer was read; send the request again", {
    retryAfterSeconds: 1,
  });
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
/** `GET /admin` on an instance built without the console's files (apps/api/console). */
export function consoleNotInstalled(): GatewayError {
  return new GatewayError('not_found', 'the operator console is not installed here: its files (apps/api/console) are missing');
}

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

/** A rate limit refused: `reason` names the bucket and its rate; the caller may retry after `retryAfterSeconds`. */
export function rateLimited(reason: string, retryAfterSeconds: number): GatewayError {
  return new GatewayError('rate_limited', `${reason}; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
}

/** A budget refused the request: `message` says which and by how much; `budget` its figures, when one budget's counter refused. */
export function budgetExceeded(message: string, budget?: BudgetRefusalBody): GatewayError {
  return new GatewayError('budget_exceeded', message, budget === undefined ? {} : { budget });
}

/** One request of a batch refused (its model forbidden, its reservation share too large): the batch is refused, naming it. */
export function batchRequestRefused(type: 'forbidden' | 'budget_exceeded', index: number, message: string): GatewayError {
  return new GatewayError(type, `requests.${index}: ${message}`);
}

/** A key's allow-list does not hold the model (403, before anything is reserved). */
export function modelForbidden(model: string, allowed: readonly string[]): GatewayError {
  return new GatewayError('forbidden', `model ${clip(model, 256)} is not allowed for this key (allowed: ${clip(allowed.join(', '), 512)})`);
}

/** An owner keeps as many stored records (responses) as it may: nothing more is stored until some expire or go. */
export function storeFull(what: string, max: number): GatewayError {
  return new GatewayError('forbidden', `this key already stores ${max} ${what} (the most it may keep): delete some, or send store: false`);
}

/** A browser page of another origin (CORS_ALLOWED_ORIGINS). */
export function originForbidden(origin: string): GatewayError {
  return new GatewayError('forbidden', `origin ${clip(origin, 200)} is not allowed (CORS_ALLOWED_ORIGINS)`);
}

/** A change made with the console's session cookie without its CSRF token (another page's forged request). */
export function csrfRefused(): GatewayError {
  return new GatewayError('forbidden', 'missing or wrong X-CSRF-Token: a console session sends the token its login gave with every change');
}

/** A Host header outside API_ALLOWED_HOSTS (DNS rebinding). */
export function hostForbidden(host: string | undefined): GatewayError {
  return new GatewayError('forbidden', `host ${clip(host ?? '(none)', 200)} is not allowed (API_ALLOWED_HOSTS)`);
}

/** A body a page could send cross-site without a preflight (text/plain, forms). */
export function mediaTypeRefused(mediaType: string): GatewayError {
  return new GatewayError('unsupported_media_type', `Content-Type ${mediaType} is not accepted: send application/json (or application/jsonl for batches)`);
}

/** A compressed batch body: batches are read as they arrive, and a gzip body would fail as malformed JSON, which misleads. */
export function compressedBatchRefused(): GatewayError {
  return new GatewayError('unsupported_media_type', 'a batch body is read uncompressed: send it without Content-Encoding');
}

/** Why the body parser could not read a request body. */
export type UnreadableBody = 'too-large' | 'not-json' | 'encoding' | 'incomplete' | 'other';

const unreadableBodyMessages: Record<Exclude<UnreadableBody, 'too-large'>, string> = {
  'not-json': 'request body is not valid JSON',
  encoding: 'request body encoding or charset is not supported',
  incomplete: 'request body was not received completely',
  other: 'request could not be read',
};

/** A request body the body parser could not read. */
export function unreadableBody(reason: UnreadableBody): GatewayError {
  if (reason === 'too-large') return new GatewayError('payload_too_large', 'request body is larger than the limit');
  return new GatewayError('invalid_request', unreadableBodyMessages[reason]);
}

/** A body that is no JSON object (an array, a string, nothing). */
export function bodyNotAnObject(): GatewayError {
  return new GatewayError('invalid_request', 'request body must be a JSON object (Content-Type: application/json)');
}

/** A batch body larger than BATCH_MAX_BYTES. */
export function batchBodyTooLarge(limitBytes: number): GatewayError {
  return new GatewayError('payload_too_large', `a batch body holds at most ${limitBytes} bytes`);
}

/** One part of a JSON batch body (a request, or another member) longer than the scanner keeps. */
export function batchPartTooLarge(what: 'request' | 'member', maxChars: number): GatewayError {
  return new GatewayError('payload_too_large', `a ${what} of a batch body holds at most ${maxChars} characters`);
}

/** A JSONL batch line (`line`: 1-based) longer than the scanner keeps. */
export function batchLineTooLong(line: number, maxChars: number): GatewayError {
  return new GatewayError('payload_too_large', `line ${line} holds more than ${maxChars} characters`);
}

/** An uploaded file past FILES_MAX_BYTES, or past what its owner's storage quota has left. */
export function fileTooLarge(limitBytes: number, reason: 'file' | 'quota'): GatewayError {
  return new GatewayError(
    'payload_too_large',
    reason === 'file' ? `a file holds at most ${limitBytes} bytes` : `this file would pass the storage quota of the key's files (${limitBytes} bytes left)`,
  );
}

/** A line of an uploaded batch file (`line`: 1-based) refused, naming its field. */
export function fileLineRefused(line: number, field: string, problem: string): GatewayError {
  return new GatewayError('invalid_request', `line ${line}: ${field}: ${problem}`);
}

/** A key rotated after it was revoked. */
export function keyRevoked(id: string): GatewayError {
  return new GatewayError('invalid_request', `key ${id} is revoked`);
}

/** A waited-for job did not finish within the wait. */
export function jobWaitTimedOut(timeoutMs: number): GatewayError {
  return new GatewayError('timeout', `the job did not finish in ${timeoutMs} ms`);
}

/** A sync call's wait ended (`waited`: the timeout): a job a worker started keeps its result, readable by its id. */
export function syncCallTimedOut(waited: GatewayError, jobId: string): GatewayError {
  return new GatewayError(
    'timeout',
    `${waited.message}; if a worker had started it, its result stays readable at GET /v1/jobs/${jobId} (a job not started yet was dropped)`,
    { jobId },
  );
}

/** A relayed stream went silent between the worker and the API. */
export function streamIdle(idleTimeoutMs: number): GatewayError {
  return new GatewayError('timeout', `no part of the stream arrived in ${idleTimeoutMs} ms`);
}

/** A job's error as a worker handed it back through Redis (see toJobError). */
export function fromJobError(jobError: JobError): GatewayError {
  return new GatewayError(jobError.type, jobError.message, {
    ...(jobError.attempts ? { attempts: jobError.attempts } : {}),
    ...(jobError.retry_after_seconds !== undefined ? { retryAfterSeconds: jobError.retry_after_seconds } : {}),
  });
}
