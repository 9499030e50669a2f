import type { Config } from '@gateway/config';
import type { Budget } from '@gateway/limits';
import type { Metrics } from '@gateway/observability';
import { deploymentTable, isProviderConfigured } from '@gateway/providers';
import { queueDepthSource, readLaneBacklog, readLaneOldest, redisAnswers, type ChatQueue, type RedisClient } from '@gateway/queue';
import { circuitStateValue } from '@gateway/resilience';
import { providerIdSchema } from '@gateway/contracts';
import { createCircuitReader } from './circuit-reader';

export interface OpsMetricsDeps {
  config: Config;
  /** A `command` connection: a scrape while Redis is down gets its answer (0, or no series) within a second. */
  redis: RedisClient;
  queue: ChatQueue;
  budget: Budget;
  metrics: Metrics;
}

/**
 * What the API reads from Redis at every scrape, for the dashboards and the alerts (ops/prometheus/alerts.yml):
 * the queue's and each lane's depth, the oldest waiting job per lane, whether Redis answers, the global budgets
 * (while enforced) and every route's providers by circuit state. The API reports them, not the workers: it always
 * runs, and one reading is the same from every instance.
 */
export function reportOpsMetrics({ config, redis, queue, budget, metrics }: OpsMetricsDeps): void {
  metrics.addQueueDepthSource(queueDepthSource(queue));
  metrics.setLaneBacklogSource(async () => {
    const [backlog, oldestAgeSeconds] = await Promise.all([readLaneBacklog(redis, queue), readLaneOldest(redis, queue)]);
    return { ...backlog, oldestAgeSeconds };
  });
  metrics.setRedisCheck(() => redisAnswers(redis));
  if (config.limits.enabled) metrics.setBudgetSource(() => budget.globalSpend());
  const breaker = createCircuitReader(config, redis);
  const route = [...new Set([config.llm.provider, ...config.llm.fallbacks])];
  // A declared deployment has a circuit of its own, under its id; an implicit one keeps its provider's name.
  const declared = deploymentTable(config).all.filter((deployment) => !deployment.implicit);
  const read = [
    ...new Set([
      ...route,
      ...providerIdSchema.options.filter((provider) => isProviderConfigured(config, provider)),
      ...declared.map((deployment) => deployment.id),
    ]),
  ];
  metrics.setCircuitSource(async () => {
    const snapshots = await Promise.all(read.map((provider) => breaker.snapshot(provider)));
    return {
      circuits: Object.fromEntries(read.map((provider, index) => [provider, circuitStateValue(snapshots[index]!.state)])),
      // The default route counts each provider's declared deployments in its stead (the provider itself while it has none).
      routes: {
        default: route.flatMap((provider) => {
          const own = declared.filter((deployment) => deployment.provider === provider).map((deployment) => deployment.id);
          return own.length > 0 ? own : [provider];
        }),
      },
    };
  });
}
