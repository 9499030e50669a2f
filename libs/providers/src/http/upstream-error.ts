import {
  GatewayError,
  callCancelled,
  upstreamFailure,
  upstreamHttpFailure,
  upstreamRefused,
  upstreamRejected,
  upstreamStreamSilent,
  type ProviderId,
} from '@gateway/contracts';
import { blameOf } from './request-caused';

/** Parses a Retry-After header (seconds or HTTP date) into seconds, or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Maps an upstream HTTP failure to the gateway's error. 400/404/422 are the caller's request: no failover.
 * Failures the request (or one model) caused, see blameOf — 413, a moderation or per-call limit 402/403, a
 * model's own 429 — fail over (`failover-uncounted`) but never count against the provider's circuit or pause it;
 * when no provider serves, they are the answer. 401/402/403 of the gateway's own key, 408/409/429/5xx and
 * anything else unexpected: failover that counts (`failover`).
 */
export function upstreamHttpError(provider: ProviderId, status: number, upstreamMessage: string | undefined, retryAfterSeconds?: number): GatewayError {
  const detail = upstreamMessage ? `: ${truncate(upstreamMessage, 300)}` : '';
  if (status === 400 || status === 404 || status === 422) {
    return upstreamRejected(provider, status, detail);
  }
  const blame = blameOf(provider, status, upstreamMessage);
  if (blame !== 'key') {
    const type = status === 413 ? 'payload_too_large' : status === 429 ? 'rate_limited' : 'invalid_request';
    return upstreamRefused(type, provider, status, detail, retryAfterSeconds);
  }
  return upstreamHttpFailure(provider, status, detail, retryAfterSeconds);
}

/**
 * What broke a streamed answer while it was read: the caller's cancel, the stream's silence or total deadline
 * (`response` aborted by the watchdog), or the connection; a GatewayError thrown while reading stays as it is.
 */
export function streamFailure(provider: ProviderId, error: unknown, signals: { caller: AbortSignal; response: AbortSignal }, timeoutMs: number): GatewayError {
  if (error instanceof GatewayError) return error;
  if (signals.caller.aborted) return callCancelled(provider, error);
  if (signals.response.aborted) return upstreamStreamSilent(provider, timeoutMs, error);
  return upstreamFailure(provider, 'stream broken', error);
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
