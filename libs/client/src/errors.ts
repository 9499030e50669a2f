import type { Attempt, ErrorType } from '@gateway/contracts';

export interface GatewayClientErrorInit {
  status: number;
  type: ErrorType;
  message: string;
  /** Seconds to wait before retrying (from `Retry-After` or the body), when the gateway said so. */
  retryAfter?: number | undefined;
  requestId?: string | undefined;
  /** Provider calls the gateway made (upstream_error). */
  attempts?: Attempt[] | undefined;
  /** The job a timed-out chat call was waiting for (504): fetch its result later with `job(jobId)`. */
  jobId?: string | undefined;
  /** The request field a 400 of an OpenAI dialect names (its `param`). */
  param?: string | undefined;
}

/** Base class of the client's errors: the gateway's error type, HTTP status, message and Retry-After. */
export class GatewayClientError extends Error {
  override name = 'GatewayClientError';
  readonly status: number;
  readonly type: ErrorType;
  readonly retryAfter: number | undefined;
  readonly requestId: string | undefined;
  readonly attempts: Attempt[] | undefined;
  readonly jobId: string | undefined;
  readonly param: string | undefined;

  constructor(init: GatewayClientErrorInit, options?: { cause?: unknown }) {
    super(init.message, options);
    this.status = init.status;
    this.type = init.type;
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
    this.attempts = init.attempts;
    this.jobId = init.jobId;
    this.param = init.param;
  }
}

/** 400: the request is wrong; the message names the field. */
export class InvalidRequestError extends GatewayClientError {
  override name = 'InvalidRequestError';
}
/** 401: missing or wrong bearer token. */
export class UnauthorizedError extends GatewayClientError {
  override name = 'UnauthorizedError';
}
/** 402: the day's or month's budget is spent. */
export class BudgetExceededError extends GatewayClientError {
  override name = 'BudgetExceededError';
}
/** 403: not allowed: a model outside the key's allow-list, or a browser origin or host the gateway does not allow. */
export class ForbiddenError extends GatewayClientError {
  override name = 'ForbiddenError';
}
/** 404: no such route, job or batch. */
export class NotFoundError extends GatewayClientError {
  override name = 'NotFoundError';
}
/** 413: the body is larger than the gateway accepts. */
export class PayloadTooLargeError extends GatewayClientError {
  override name = 'PayloadTooLargeError';
}
/** 415: a body type the gateway refuses (text/plain, forms). */
export class UnsupportedMediaTypeError extends GatewayClientError {
  override name = 'UnsupportedMediaTypeError';
}
/** 429: over the rate limit; see retryAfter. */
export class RateLimitedError extends GatewayClientError {
  override name = 'RateLimitedError';
}
/** 502: every provider failed; see attempts. */
export class UpstreamError extends GatewayClientError {
  override name = 'UpstreamError';
}
/** 503: the gateway (its Redis) is unavailable; see retryAfter. Also: the gateway could not be reached. */
export class UnavailableError extends GatewayClientError {
  override name = 'UnavailableError';
}
/** 504, or the client's own timeout. */
export class GatewayTimeoutError extends GatewayClientError {
  override name = 'GatewayTimeoutError';
}
/** 499: the call was cancelled (DELETE /v1/jobs/{id}, or its stream's client went away) before it finished. */
export class CancelledError extends GatewayClientError {
  override name = 'CancelledError';
}
/** 409: the Idempotency-Key was used with another body (or for work no longer kept). */
export class ConflictError extends GatewayClientError {
  override name = 'ConflictError';
}
/** 500: a bug in the gateway. */
export class InternalError extends GatewayClientError {
  override name = 'InternalError';
}

const classes: Record<ErrorType, typeof GatewayClientError> = {
  invalid_request: InvalidRequestError,
  unauthorized: UnauthorizedError,
  budget_exceeded: BudgetExceededError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  payload_too_large: PayloadTooLargeError,
  unsupported_media_type: UnsupportedMediaTypeError,
  rate_limited: RateLimitedError,
  upstream_error: UpstreamError,
  unavailable: UnavailableError,
  timeout: GatewayTimeoutError,
  internal_error: InternalError,
  cancelled: CancelledError,
  conflict: ConflictError,
};

const typeByStatus: Record<number, ErrorType> = {
  400: 'invalid_request',
  401: 'unauthorized',
  402: 'budget_exceeded',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  409: 'conflict',
  429: 'rate_limited',
  499: 'cancelled',
  502: 'upstream_error',
  503: 'unavailable',
  504: 'timeout',
};

/** The error class for a gateway error type. */
export function createClientError(init: GatewayClientErrorInit, options?: { cause?: unknown }): GatewayClientError {
  return new classes[init.type](init, options);
}

/** The error type for an HTTP status when the body does not name one. */
export function errorTypeForStatus(status: number): ErrorType {
  return typeByStatus[status] ?? (status >= 500 ? 'upstream_error' : 'invalid_request');
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}
