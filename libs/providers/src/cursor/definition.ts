import { firstSet, imagePath, jsonResponseFormat, toolTurnPath } from '../capability-fields';
import type { ProviderDefinition } from '../definition';
import { createCursorAdapter } from './cursor-adapter';

export const cursorDefinition: ProviderDefinition = {
  id: 'cursor',
  deprecated: false,
  modelPrefix: 'cursor',
  models: { kind: 'own' },
  defaultModel: (config) => config.providers.cursor.defaultModel,
  // The bearer token the Cursor adapter requires (the adapter holds Cursor's own key).
  secrets: (config) => [config.providers.cursor.token],
  // A Cursor Agent takes a text conversation and answers text: nothing else of the chat surface.
  capabilities: (request) =>
    firstSet(request, [
      'tools',
      'stop',
      'top_p',
      'top_k',
      'seed',
      'presence_penalty',
      'frequency_penalty',
      'logprobs',
      'top_logprobs',
      'reasoning_effort',
      'reasoning',
    ]) ??
    (request.tool_choice !== undefined && request.tool_choice !== 'none' ? 'tool_choice' : undefined) ??
    jsonResponseFormat(request) ??
    imagePath(request, () => true) ??
    toolTurnPath(request),
  prices: { kind: 'free' },
  // No embeddings: an agent answers text only (no `embeddings`: failover skips it for them).
  createAdapter: (config, http) =>
    createCursorAdapter({
      baseUrl: config.providers.cursor.baseUrl,
      token: config.providers.cursor.token,
      timeoutMs: config.llm.providerTimeoutMs,
      http: http(),
    }),
};
