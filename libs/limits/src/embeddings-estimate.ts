import type { EmbeddingInput, ProviderId } from '@gateway/contracts';
import { isFreeProvider, tokenCostUsd, type PriceSource } from './pricing';

/** Tokens an embeddings request is guessed to take: about 3 characters a token of text (as prompts), a token array's length. */
export function estimateEmbeddingTokens(inputs: readonly EmbeddingInput[]): number {
  let tokens = 0;
  for (const input of inputs) tokens += typeof input === 'string' ? Math.ceil(input.length / 3) : input.length;
  return tokens;
}

/** The cost an embeddings request reserves on one provider: its estimated tokens at the model's prompt price (nothing is generated). */
export function estimateEmbeddingsCostUsd(prices: PriceSource, request: { provider: ProviderId; model: string; input: readonly EmbeddingInput[] }): number {
  if (isFreeProvider(request.provider)) return 0;
  return tokenCostUsd(prices.priceOf(request.provider, request.model), estimateEmbeddingTokens(request.input), 0);
}
