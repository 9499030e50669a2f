import type { ProviderId } from '@gateway/contracts';
import { definitionOf } from './definitions';
import type { ProvidersConfig } from './definition';
import { createHttpClient } from './http/http-client';
import type { ProviderAdapter } from './types';

/** Adapters created on first use and kept for the process (they own connection pools). */
export interface ProviderRegistry {
  get(id: ProviderId): ProviderAdapter;
  close(): Promise<void>;
}

export function createProviderRegistry(config: ProvidersConfig, overrides: Partial<Record<ProviderId, ProviderAdapter>> = {}): ProviderRegistry {
  const adapters = new Map<ProviderId, ProviderAdapter>(Object.entries(overrides) as [ProviderId, ProviderAdapter][]);
  return {
    get(id) {
      let adapter = adapters.get(id);
      if (!adapter) {
        const http = () => createHttpClient({ provider: id, timeoutMs: config.llm.providerTimeoutMs, connections: config.llm.providerMaxConnections });
        adapter = definitionOf(id).createAdapter(config, http);
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
