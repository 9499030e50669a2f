import { honoursAll } from '../capability-fields';
import type { ProviderDefinition } from '../definition';
import { createOpenRouterAdapter } from './openrouter-adapter';

export const openRouterDefinition: ProviderDefinition = {
  id: 'openrouter',
  deprecated: false,
  credential: { variable: 'OPENROUTER_API_KEY', of: (config) => config.providers.openrouter.apiKey },
  models: { kind: 'any' },
  secrets: (config) => [config.providers.openrouter.apiKey],
  // OpenRouter maps the fields onto each model it serves.
  capabilities: honoursAll,
  prices: { kind: 'catalogue', catalogueId: 'openrouter', endpoint: true },
  embeddings: { batchSize: (config) => config.providers.openrouter.embedBatchSize },
  createAdapter: (config, http) =>
    createOpenRouterAdapter({
      baseUrl: config.providers.openrouter.baseUrl,
      apiKey: config.providers.openrouter.apiKey,
      timeoutMs: config.llm.providerTimeoutMs,
      referer: config.providers.openrouter.referer,
      title: config.providers.openrouter.title,
      http: http(),
    }),
};
