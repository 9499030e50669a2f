import type { ProviderId } from '@gateway/contracts';

/** Who an upstream 4xx blames: the request (its content, size or the model's own limit) or the gateway's key. */
export type UpstreamBlame = 'request' | 'model' | 'key';

// Moderation refusals (OpenRouter: "requires moderation … your input was flagged"), content policy blocks.
const moderation = /moderation|flagged|content (?:policy|filter)|safety/i;
// A limit of this call, not of the account: OpenRouter's "requires more credits, or fewer max_tokens", a
// prompt over the model's own token limit.
const requestLimit = /fewer max_tokens|can only afford|requested up to|too many tokens|context length|maximum context/i;
// OpenRouter's 429s that are one model's (or its free tier's), not the key's: "temporarily rate-limited upstream".
const modelLimit = /rate-limited upstream|free-models-per|model .*(?:rate|capacity)|overloaded/i;

/**
 * Whether a 401/402/403/413/429 answer was caused by the request or one model, rather than by the gateway's key
 * or the provider as a whole. Only `key` failures may count against the provider's shared circuit or pause it
 * for every worker. 401 always means the key; 413 always the request. The message is the upstream's error text.
 */
export function blameOf(provider: ProviderId, status: number, message: string | undefined): UpstreamBlame {
  const text = message ?? '';
  if (status === 413) return 'request';
  if (status === 402 || status === 403) return moderation.test(text) || requestLimit.test(text) ? 'request' : 'key';
  if (status === 429 && provider === 'openrouter' && modelLimit.test(text)) return 'model';
  return 'key';
}
