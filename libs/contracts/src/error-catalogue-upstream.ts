import { GatewayError, type Attempt } from './errors';

/**
 * The other half of the error catalogue (error-catalogue.ts): what a provider call fails with, and what failover
 * answers when no provider served. Each sets `recovery`, what the worker does next (see Recovery).
 */

/** The upstream refused the request itself (HTTP 400/404/422): the caller's error, no other provider is tried. */
export function upstreamRejected(provider: string, status: number, detail: string): GatewayError {
  return new GatewayError('invalid_request', `${provider} rejected the request (HTTP ${status})${detail}`, { upstreamStatus: status, recovery: 'final' });
}

/**
 * The upstream refused because of this request or one model (413, a moderation or per-call 402/403, a model's own
 * 429): the next provider is tried, nothing is counted against this one.
 */
export function upstreamRefused(
  type: 'payload_too_large' | 'rate_limited' | 'invalid_request',
  provider: string,
  status: number,
  detail: string,
  retryAfterSeconds?: number,
): GatewayError {
  return new GatewayError(type, `${provider} refused the request (HTTP ${status})${detail}`, {
    upstreamStatus: status,
    recovery: 'failover-uncounted',
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/** The upstream failed (its key refused, 408/409/429/5xx, anything unexpected): failover, counted against it. */
export function upstreamHttpFailure(provider: string, status: number, detail: string, retryAfterSeconds?: number): GatewayError {
  return new GatewayError('upstream_error', `${provider} answered HTTP ${status}${detail}`, {
    upstreamStatus: status,
    recovery: 'failover',
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/** A failure of the transport or of the answer's shape: always worth failing over. */
export function upstreamFailure(provider: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError('upstream_error', `${provider}: ${message}`, { recovery: 'failover', cause });
}

/** The upstream said in its answer (an error object, an error event) that the request is wrong. */
export function upstreamRefusedRequest(message: string): GatewayError {
  return new GatewayError('invalid_request', message, { recovery: 'final' });
}

/** The upstream reported an error of its own in its answer: failover. */
export function upstreamReportedError(message: string): GatewayError {
  return new GatewayError('upstream_error', message, { recovery: 'failover' });
}

/** The upstream gave no answer within the call's timeout. */
export function upstreamTimeout(provider: string, timeoutMs: number, cause?: unknown): GatewayError {
  return new GatewayError('timeout', `${provider} gave no answer in ${timeoutMs} ms`, { recovery: 'failover', cause });
}

/** A streamed answer went silent, or ran past its total limit. */
export function upstreamStreamSilent(provider: string, timeoutMs: number, cause?: unknown): GatewayError {
  return new GatewayError('timeout', `${provider} stream silent for ${timeoutMs} ms or past its total limit`, { recovery: 'failover', cause });
}

/** A stream that ended without its end part: its chunks were already relayed, so no other provider starts over. */
export function streamEndedEarly(provider: string): GatewayError {
  return new GatewayError('upstream_error', `${provider}: stream ended without its end`, { recovery: 'final' });
}

/** A streamed answer building more tool calls than one answer may hold. */
export function tooManyToolCalls(provider: string, max: number): GatewayError {
  return new GatewayError('upstream_error', `${provider}: stream has more than ${max} tool calls`, { recovery: 'final' });
}

/**
 * A model this provider has not pulled (`message`: the upstream's words): the caller's 400 when no other provider
 * serves the request, but the next provider is tried first, and this one's circuit does not count it.
 */
export function modelNotPulled(provider: string, message: string, upstreamStatus?: number): GatewayError {
  return new GatewayError('invalid_request', `${provider} rejected the request: ${message}`, {
    recovery: 'failover-uncounted',
    ...(upstreamStatus ? { upstreamStatus } : {}),
  });
}

/** Tool call arguments that are no JSON object, for a provider that takes objects: another provider may still serve. */
export function toolArgumentsNotAnObject(provider: string, messageIndex: number): GatewayError {
  return new GatewayError('invalid_request', `${provider} needs tool call arguments that are a JSON object (messages.${messageIndex}.tool_calls)`, {
    recovery: 'failover-uncounted',
  });
}

/** A conversation this provider cannot send: no user or assistant message. */
export function noConversationTurn(provider: string): GatewayError {
  return new GatewayError('invalid_request', `${provider} needs at least one user or assistant message`, { recovery: 'final' });
}

/** The failures the mock provider is told to fail with (its directives). */
export function mockFailure(mode: 'upstream_error' | 'timeout' | 'invalid_request'): GatewayError {
  if (mode === 'upstream_error') return new GatewayError('upstream_error', 'mock: told to fail', { recovery: 'failover', upstreamStatus: 503 });
  if (mode === 'timeout') return new GatewayError('timeout', 'mock: told to time out', { recovery: 'failover' });
  return new GatewayError('invalid_request', 'mock: told to reject the request', { recovery: 'final', upstreamStatus: 400 });
}

/** A provider call that threw something other than a GatewayError: the next provider may still serve. */
export function unexpectedProviderFailure(cause: unknown): GatewayError {
  return new GatewayError('upstream_error', 'provider call failed unexpectedly', { recovery: 'failover', cause });
}

/** A provider's error as the answer of the whole call, with every attempt made (the provider's error as its cause). */
export function withAttempts(error: GatewayError, attempts: Attempt[]): GatewayError {
  return new GatewayError(error.type, error.message, { ...error.details, attempts, cause: error });
}

/**
 * No provider served: `timeout` if every failure was a timeout, else `upstream_error` listing the attempts, with
 * the shortest Retry-After any provider gave.
 */
export function allProvidersFailed(attempts: Attempt[], errors: readonly GatewayError[]): GatewayError {
  const allTimeouts = errors.length > 0 && errors.every((error) => error.type === 'timeout');
  const retryAfter = errors.map((error) => error.details.retryAfterSeconds).filter((value): value is number => value !== undefined);
  return new GatewayError(
    allTimeouts ? 'timeout' : 'upstream_error',
    errors.length === 0 ? 'no provider could be tried (all circuits open)' : `all providers failed (${attempts.map((failure) => failure.provider).join(', ')})`,
    { attempts, recovery: 'final', ...(retryAfter.length > 0 ? { retryAfterSeconds: Math.min(...retryAfter) } : {}) },
  );
}
