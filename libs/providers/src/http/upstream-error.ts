import { GatewayError } from '@gateway/contracts';
import type { ProviderId } from '@gateway/contracts';

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
 * 401/403 mean the gateway's own key is refused, which another provider may not share: failover.
 * 408/409/429/5xx and anything else unexpected: failover.
 */
export function upstreamHttpError(provider: ProviderId, status: number, upstreamMessage: string | undefined, retryAfterSeconds?: number): GatewayError {
  const detail = upstreamMessage ? `: ${truncate(upstreamMessage, 300)}` : '';
  if (status === 400 || status === 404 || status === 422) {
    return new GatewayError('invalid_request', `${provider} rejected the request (HTTP ${status})${detail}`, {
      upstreamStatus: status,
      retryable: false,
    });
  }
  return new GatewayError('upstream_error', `${provider} answered HTTP ${status}${detail}`, {
    upstreamStatus: status,
    retryable: true,
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/** A failure of the transport or of the answer's shape: always worth failing over. */
export function upstreamFailure(provider: ProviderId, message: string, cause?: unknown): GatewayError {
  return new GatewayError('upstream_error', `${provider}: ${message}`, { retryable: true, cause });
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
