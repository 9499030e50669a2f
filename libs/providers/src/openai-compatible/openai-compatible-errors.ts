import { GatewayError, upstreamRefusedRequest, upstreamReportedError, type ProviderId } from '@gateway/contracts';
import { isInvalidRequestCode } from './openai-compatible-map';

/** An `error` member of a 200 answer (an OpenRouter quirk): the caller's request when its code says so, else the provider's failure. */
export function bodyError(id: ProviderId, error: { message?: string | null; code?: number | string | null }): GatewayError {
  const message = `${id} reported an error: ${error.message ?? 'unknown error'}${error.code !== undefined && error.code !== null ? ` (code ${error.code})` : ''}`;
  if (isInvalidRequestCode(error.code)) return upstreamRefusedRequest(message);
  return upstreamReportedError(message);
}
