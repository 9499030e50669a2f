import type { DeploymentView } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { createDeploymentCapacity, limitKeys } from '@gateway/limits';
import { deploymentConfig, deploymentTable, isProviderConfigured, type Deployment } from '@gateway/providers';
import { limitsPrefix, type RedisClient } from '@gateway/queue';
import type { SnapshotOf } from '../provider-circuits';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Each deployment as `/v1/providers` shows it: a file's with its use of the window (shared by every worker) against
 * its limits; a provider's implicit one with its circuit, its PROVIDER_RPM and its pause.
 */
export function createDeploymentViews(config: Config, redis: RedisClient) {
  const prefix = limitsPrefix(config);
  const table = deploymentTable(config);
  const capacity = createDeploymentCapacity({
    redis,
    prefix,
    windowMs: config.file.windowMs,
    interactiveReserve: config.pacing.interactiveReserve,
    maxPauseMs: config.pacing.maxPauseMs,
  });

  const viewOf = async (deployment: Deployment, snapshot: SnapshotOf): Promise<DeploymentView> => {
    const [circuit, use, pauseLeft] = await Promise.all([
      snapshot(deployment.id),
      deployment.implicit ? undefined : capacity.use(deployment.id),
      deployment.implicit ? redis.pttl(limitKeys.providerPause(prefix, deployment.provider)) : undefined,
    ]);
    const pausedUntil = use ? use.pausedUntil : (pauseLeft ?? 0) > 0 ? Date.now() + pauseLeft! : null;
    return {
      id: deployment.id,
      provider: deployment.provider,
      implicit: deployment.implicit,
      configured: isProviderConfigured(deploymentConfig(config, deployment), deployment.provider),
      models: [...deployment.models],
      weight: deployment.weight,
      circuit: { state: circuit.state, consecutive_failures: circuit.consecutiveFailures, opened_at: iso(circuit.openedAt) },
      in_flight: use ? use.inFlight : null,
      requests: use ? use.requests : null,
      tokens: use ? use.tokens : null,
      limits: {
        rpm: (deployment.implicit ? config.pacing.rpm[deployment.provider] : deployment.rpm) ?? null,
        tpm: deployment.tpm ?? null,
        max_concurrency: deployment.maxConcurrency ?? null,
      },
      window_seconds: config.file.windowMs / 1000,
      paused_until: iso(pausedUntil),
    };
  };

  return {
    ids: () => table.all.map((deployment) => deployment.id),
    read: (snapshot: SnapshotOf) => Promise.all(table.all.map((deployment) => viewOf(deployment, snapshot))),
  };
}
