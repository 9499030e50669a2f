import { firstSet, imagePath } from '../capability-fields';
import type { ProviderDefinition } from '../definition';
import { createOllamaAdapter } from './ollama-adapter';

export const ollamaDefinition: ProviderDefinition = {
  id: 'ollama',
  deprecated: false,
  modelPrefix: 'ollama',
  models: { kind: 'own' },
  defaultModel: (config) => config.providers.ollama.defaultModel,
  secrets: () => [],
  // No log probabilities, no forced tool choice, images only inline (base64): it does not fetch URLs.
  capabilities: (request) =>
    firstSet(request, ['logprobs', 'top_logprobs']) ??
    (request.tool_choice === 'required' || typeof request.tool_choice === 'object' ? 'tool_choice' : undefined) ??
    imagePath(request, (url) => !url.startsWith('data:')),
  prices: { kind: 'free' },
  // /api/embed takes texts only, no token ids.
  embeddings: {
    batchSize: (config) => config.providers.ollama.embedBatchSize,
    refuses: (request) => (request.input.some((input) => typeof input !== 'string') ? 'input' : undefined),
  },
  createAdapter: (config, http) => createOllamaAdapter({ baseUrl: config.providers.ollama.baseUrl, timeoutMs: config.llm.providerTimeoutMs, http: http() }),
};
