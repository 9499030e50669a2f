import { Router } from 'express';
import { providerIdSchema, type ProviderId, type ProvidersView } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Metrics } from '@gateway/observability';
import { bullPrefix, type RedisClient } from '@gateway/queue';
import { definitionOf, isProviderConfigured } from '@gateway/providers';
import { circuitStateValue, createProviderStats } from '@gateway/resilience';
import { createCircuitReader } from '../circuit-reader';
import { createProviderCircuits, snapshotsOnce } from '../provider-circuits';
import { createDeploymentViews } from './deployment-views';

export interface ProviderRouteDeps {
  config: Config;
  /** A `command` connection: answers 503 promptly while Redis is down. */
  redis: RedisClient;
  metrics: Pick<Metrics, 'circuitState'>;
}

type Role = 'primary' | 'fallback' | 'unused';

function roleOf(config: Config, provider: ProviderId): Role {
  if (config.llm.provider === provider) return 'primary';
  return config.llm.fallbacks.includes(provider) ? 'fallback' : 'unused';
}

/**
 * Each provider's configuration, role, circuit and counters, and each deployment's circuit and capacity (shared by
 * every instance, from Redis): the body of `GET /v1/providers`, and the ground of `GET /admin/providers`. A provider
 * with deployments in GATEWAY_CONFIG_FILE shows the circuit they make together (its own is no longer used), each
 * deployment its own beside it; every circuit is read once per answer, so the two agree.
 */
export function createProvidersReader(deps: ProviderRouteDeps) {
  const prefix = bullPrefix(deps.config);
  const breaker = createCircuitReader(deps.config, deps.redis);
  const stats = createProviderStats(deps.redis, prefix);
  const deployments = createDeploymentViews(deps.config, deps.redis);
  const providerCircuits = createProviderCircuits(deps.config);

  return {
    /** Every deployment's id (an implicit one's is its provider's): the circuits there are. */
    deploymentIds: deployments.ids,
    async read(): Promise<ProvidersView> {
      const providers = providerIdSchema.options;
      const snapshot = snapshotsOnce(breaker);
      const [counts, circuits, deploymentViews] = await Promise.all([
        stats.read(),
        Promise.all(providers.map((provider) => providerCircuits.read(provider, snapshot))),
        deployments.read(snapshot),
      ]);
      return {
        providers: providers.map((provider, index) => {
          const circuit = circuits[index]!;
          deps.metrics.circuitState.set({ provider }, circuitStateValue(circuit.state));
          const { deprecated } = definitionOf(provider);
          return {
            id: provider,
            configured: isProviderConfigured(deps.config, provider),
            role: roleOf(deps.config, provider),
            deprecated,
            ...(deprecated ? { warning: `${provider} is deprecated: route its models through openrouter instead` } : {}),
            circuit: {
              state: circuit.state,
              consecutive_failures: circuit.consecutiveFailures,
              opened_at: circuit.openedAt === null ? null : new Date(circuit.openedAt).toISOString(),
              source: circuit.source,
              deployments: circuit.counts,
            },
            calls: counts[provider].calls,
            failures: counts[provider].failures,
            failovers: counts[provider].failovers,
            skipped: counts[provider].skipped,
          };
        }),
        deployments: deploymentViews,
      };
    },
  };
}

export type ProvidersReader = ReturnType<typeof createProvidersReader>;

/** `GET /v1/providers`: see createProvidersReader. */
export function providerRoutes(reader: ProvidersReader): Router {
  const router = Router();
  router.get('/providers', async (_req, res) => {
    res.json(await reader.read());
  });
  return router;
}
