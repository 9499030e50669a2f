import type { ErrorType } from '@gateway/contracts';

/** Anthropic's error types and the statuses it answers them with. */
type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

/**
 * The gateway's error types as Anthropic's, with Anthropic's status: every provider down or paced out (and the
 * queue unreachable) is `overloaded_error` 529, which Anthropic's clients retry after `retry-after`.
 */
const anthropicErrors: Readonly<Record<ErrorType, { type: AnthropicErrorType; status: number }>> = Object.freeze({
  invalid_request: { type: 'invalid_request_error', status: 400 },
  unsupported_media_type: { type: 'invalid_request_error', status: 400 },
  conflict: { type: 'invalid_request_error', status: 409 },
  unauthorized: { type: 'authentication_error', status: 401 },
  budget_exceeded: { type: 'billing_error', status: 402 },
  forbidden: { type: 'permission_error', status: 403 },
  not_found: { type: 'not_found_error', status: 404 },
  payload_too_large: { type: 'request_too_large', status: 413 },
  rate_limited: { type: 'rate_limit_error', status: 429 },
  upstream_error: { type: 'overloaded_error', status: 529 },
  unavailable: { type: 'overloaded_error', status: 529 },
  timeout: { type: 'timeout_error', status: 504 },
  internal_error: { type: 'api_error', status: 500 },
  cancelled: { type: 'api_error', status: 499 },
});

/** The HTTP status of an error on the Messages routes. */
export const messagesErrorStatus = (type: ErrorType): number => anthropicErrors[type].status;

/** Anthropic's error body: `{"type":"error","error":{"type":"invalid_request_error","message":…},"request_id":…}`. */
export function toMessagesErrorBody(type: ErrorType, message: string, requestId?: string) {
  return { type: 'error' as const, error: { type: anthropicErrors[type].type, message }, ...(requestId !== undefined ? { request_id: requestId } : {}) };
}
