import type { ProviderId } from '@gateway/contracts';
import { definitionOf } from './definitions';
import { deploymentConfig, deploymentTable, implicitDeployment, type DeploymentsConfig } from './deployments';
import { createHttpClient } from './http/http-client';
import type { ProviderAdapter } from './types';

/** Adapters created on first use and kept for the process (they own connection pools). */
export interface ProviderRegistry {
  /** The adapter of a deployment (a provider's id names its implicit one; an unknown id, the provider's own). */
  get(id: ProviderId | string): ProviderAdapter;
  close(): Promise<void>;
}

export function createProviderRegistry(config: DeploymentsConfig, overrides: Partial<Record<ProviderId, ProviderAdapter>> = {}): ProviderRegistry {
  const adapters = new Map<string, ProviderAdapter>(Object.entries(overrides) as [ProviderId, ProviderAdapter][]);
  const table = deploymentTable(config);
  return {
    get(id) {
      let adapter = adapters.get(id);
      if (!adapter) {
        // A provider the file gives deployments of still has its own adapter, from its env variables, for direct uses.
        const deployment = table.byId(id) ?? (id in config.providers ? implicitDeployment(id as ProviderId) : undefined);
        if (!deployment) throw new Error(`no deployment or provider "${id}"`);
        const provider = deployment.provider;
        const overridden = overrides[provider];
        if (overridden) return overridden;
        const http = () => createHttpClient({ provider, timeoutMs: config.llm.providerTimeoutMs, connections: config.llm.providerMaxConnections });
        adapter = definitionOf(provider).createAdapter(deploymentConfig(config, deployment), http);
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
