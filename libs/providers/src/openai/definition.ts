import type { ProviderDefinition } from '../definition';
import { createOpenAiAdapter } from './openai-adapter';

export const openAiDefinition: ProviderDefinition = {
  id: 'openai',
  deprecated: true,
  credential: { variable: 'OPENAI_API_KEY', of: (config) => config.providers.openai.apiKey },
  models: { kind: 'vendor', vendor: 'openai' },
  defaultModel: (config) => config.providers.openai.defaultModel,
  secrets: (config) => [config.providers.openai.apiKey],
  // OpenAI's own API takes the fields as they are, but for a reasoning budget in tokens (it takes an effort) and top_k.
  capabilities: (request) =>
    request.top_k !== undefined
      ? 'top_k'
      : request.reasoning?.max_tokens !== undefined && request.reasoning.effort === undefined && request.reasoning_effort === undefined
        ? 'reasoning.max_tokens'
        : undefined,
  prices: { kind: 'catalogue', catalogueId: 'openai', endpoint: false },
  embeddings: { batchSize: (config) => config.providers.openai.embedBatchSize },
  createAdapter: (config, http) =>
    createOpenAiAdapter({
      baseUrl: config.providers.openai.baseUrl,
      apiKey: config.providers.openai.apiKey,
      timeoutMs: config.llm.providerTimeoutMs,
      http: http(),
    }),
};
