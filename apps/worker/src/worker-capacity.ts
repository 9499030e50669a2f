import type { Config } from '@gateway/config';
import { createDeploymentCapacity } from '@gateway/limits';
import type { Metrics } from '@gateway/observability';
import { deploymentTable } from '@gateway/providers';
import type { LimitsPrefix, RedisClient } from '@gateway/queue';
import { createBusyTracker, createSmoothWeights } from '@gateway/resilience';
import type { CapacityDeps } from './capacity-session';

/** The worker's deployments (GATEWAY_CONFIG_FILE) and their capacity shared in Redis, for the chat processor. */
export function createWorkerCapacity(
  config: Config,
  redis: RedisClient,
  prefix: LimitsPrefix,
  metrics: Pick<Metrics, 'deploymentRequests' | 'deploymentTokens'>,
): CapacityDeps & { defaultMaxTokens: number } {
  return {
    capacity: createDeploymentCapacity({
      redis,
      prefix,
      windowMs: config.file.windowMs,
      interactiveReserve: config.pacing.interactiveReserve,
      maxPauseMs: config.pacing.maxPauseMs,
      // The worker's clock, not the Redis server's TIME: one command less per call; hosts' clocks agree to far less
      // than a slice (5 s of a minute).
      clock: Date.now,
    }),
    table: deploymentTable(config),
    busy: createBusyTracker(),
    smooth: createSmoothWeights(),
    metrics,
    defaultMaxTokens: config.limits.defaultMaxTokens,
  };
}
