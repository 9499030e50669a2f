import { firstSet, imagePath, jsonResponseFormat } from '../capability-fields';
import type { ProviderDefinition } from '../definition';
import { createAnthropicAdapter } from './anthropic-adapter';

const anthropicImageTypes = /^data:image\/(jpeg|png|gif|webp);/i;

export const anthropicDefinition: ProviderDefinition = {
  id: 'anthropic',
  deprecated: true,
  credential: { variable: 'ANTHROPIC_API_KEY', of: (config) => config.providers.anthropic.apiKey },
  models: { kind: 'vendor', vendor: 'anthropic' },
  defaultModel: (config) => config.providers.anthropic.defaultModel,
  secrets: (config) => [config.providers.anthropic.apiKey],
  // Messages API: no log probabilities, seed or penalties, no response_format (JSON modes); images as base64 of
  // four types or by URL.
  capabilities: (request) =>
    firstSet(request, ['logprobs', 'top_logprobs', 'seed', 'presence_penalty', 'frequency_penalty']) ??
    jsonResponseFormat(request) ??
    imagePath(request, (url) => url.startsWith('data:') && !anthropicImageTypes.test(url)),
  prices: { kind: 'catalogue', catalogueId: 'anthropic', endpoint: false },
  // No embeddings: Anthropic has no embeddings API (no `embeddings`: failover skips it for them).
  createAdapter: (config, http) =>
    createAnthropicAdapter({
      baseUrl: config.providers.anthropic.baseUrl,
      apiKey: config.providers.anthropic.apiKey,
      timeoutMs: config.llm.providerTimeoutMs,
      http: http(),
    }),
};
