import { honoursAll } from '../capability-fields';
import type { ProviderDefinition } from '../definition';
import { createMockAdapter } from './mock-adapter';

export const mockDefinition: ProviderDefinition = {
  id: 'mock',
  deprecated: false,
  modelPrefix: 'mock',
  models: { kind: 'any' },
  secrets: () => [],
  // Deterministic: sampling fields change nothing, tools and response formats are answered.
  capabilities: honoursAll,
  prices: { kind: 'free' },
  embeddings: { batchSize: (config) => config.providers.mock.embedBatchSize },
  // In-process: no HTTP client.
  createAdapter: (config) => createMockAdapter({ ...config.providers.mock, timeoutMs: config.llm.providerTimeoutMs }),
};
