import type { ProviderId } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { createAnthropicAdapter } from './anthropic/anthropic-adapter';
import { createCursorAdapter } from './cursor/cursor-adapter';
import { createHttpClient, type HttpClient } from './http/http-client';
import { createMockAdapter } from './mock/mock-adapter';
import { createOllamaAdapter } from './ollama/ollama-adapter';
import { createOpenAiAdapter } from './openai/openai-adapter';
import { createOpenRouterAdapter } from './openrouter/openrouter-adapter';
import type { ProviderAdapter } from './types';

type ProviderConfig = Pick<Config, 'providers' | 'llm'>;
type AdapterFactory = (config: ProviderConfig) => ProviderAdapter;

/** The pooled HTTP client of one provider: as many keep-alive connections as calls a worker may have in flight. */
function http(provider: ProviderId, config: ProviderConfig): HttpClient {
  return createHttpClient({ provider, timeoutMs: config.llm.providerTimeoutMs, connections: config.llm.providerMaxConnections });
}

/** One factory per provider id: adding an id to the contracts enum fails compilation here until it has one. */
export const adapterFactories: Readonly<Record<ProviderId, AdapterFactory>> = {
  openrouter: (config) =>
    createOpenRouterAdapter({
      baseUrl: config.providers.openrouter.baseUrl,
      apiKey: config.providers.openrouter.apiKey,
      timeoutMs: config.llm.providerTimeoutMs,
      referer: config.providers.openrouter.referer,
      title: config.providers.openrouter.title,
      http: http('openrouter', config),
    }),
  openai: (config) =>
    createOpenAiAdapter({
      baseUrl: config.providers.openai.baseUrl,
      apiKey: config.providers.openai.apiKey,
      timeoutMs: config.llm.providerTimeoutMs,
      http: http('openai', config),
    }),
  mock: (config) => createMockAdapter({ ...config.providers.mock, timeoutMs: config.llm.providerTimeoutMs }),
  ollama: (config) => createOllamaAdapter({ baseUrl: config.providers.ollama.baseUrl, timeoutMs: config.llm.providerTimeoutMs, http: http('ollama', config) }),
  cursor: (config) =>
    createCursorAdapter({
      baseUrl: config.providers.cursor.baseUrl,
      token: config.providers.cursor.token,
      timeoutMs: config.llm.providerTimeoutMs,
      http: http('cursor', config),
    }),
  anthropic: (config) =>
    createAnthropicAdapter({
      baseUrl: config.providers.anthropic.baseUrl,
      apiKey: config.providers.anthropic.apiKey,
      timeoutMs: config.llm.providerTimeoutMs,
      http: http('anthropic', config),
    }),
};

/** Adapters created on first use and kept for the process (they own connection pools). */
export interface ProviderRegistry {
  get(id: ProviderId): ProviderAdapter;
  close(): Promise<void>;
}

export function createProviderRegistry(config: ProviderConfig, overrides: Partial<Record<ProviderId, ProviderAdapter>> = {}): ProviderRegistry {
  const adapters = new Map<ProviderId, ProviderAdapter>(Object.entries(overrides) as [ProviderId, ProviderAdapter][]);
  return {
    get(id) {
      let adapter = adapters.get(id);
      if (!adapter) {
        adapter = adapterFactories[id](config);
        adapters.set(id, adapter);
      }
      return adapter;
    },
    async close() {
      await Promise.all([...adapters.values()].map((adapter) => adapter.close()));
      adapters.clear();
    },
  };
}
