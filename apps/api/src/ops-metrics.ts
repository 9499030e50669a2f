import type { Config } from '@gateway/config';
import type { Budget } from '@gateway/limits';
import type { Metrics } from '@gateway/observability';
import { isProviderConfigured } from '@gateway/providers';
import { queueDepthSource, readLaneBacklog, readLaneOldest, redisAnswers, type LaneQueues, type RedisClient } from '@gateway/queue';
import { circuitStateValue } from '@gateway/resilience';
import { providerIdSchema } from '@gateway/contracts';
import { createCircuitReader } from './circuit-reader';
import { createProviderCircuits, snapshotsOnce } from './provider-circuits';

export interface OpsMetricsDeps {
  config: Config;
  /** A `command` connection: a scrape while Redis is down gets its answer (0, or no series) within a second. */
  redis: RedisClient;
  /** The lanes' queues: each one's depth (gateway_queue_jobs{queue}), and the lanes' backlogs. */
  queue: Pick<LaneQueues, 'lanes' | 'all'>;
  budget: Budget;
  metrics: Metrics;
}

/**
 * What the API reads from Redis at every scrape, for the dashboards and the alerts (ops/prometheus/alerts.yml):
 * each lane's queue's depth, the oldest waiting job per lane, whether Redis answers, the global budgets
 * (while enforced), every route's providers and each provider's deployments by circuit state. The API reports them, not the workers: it always
 * runs, and one reading is the same from every instance.
 */
export function reportOpsMetrics({ config, redis, queue, budget, metrics }: OpsMetricsDeps): void {
  for (const each of queue.all) metrics.addQueueDepthSource(queueDepthSource(each));
  metrics.setLaneBacklogSource(async () => {
    const [backlog, oldestAgeSeconds] = await Promise.all([readLaneBacklog(redis, queue.lanes), readLaneOldest(redis, queue.lanes)]);
    return { ...backlog, oldestAgeSeconds };
  });
  metrics.setRedisCheck(() => redisAnswers(redis));
  if (config.limits.enabled) metrics.setBudgetSource(() => budget.globalSpend());
  const breaker = createCircuitReader(config, redis);
  const providerCircuits = createProviderCircuits(config);
  const route = [...new Set([config.llm.provider, ...config.llm.fallbacks])];
  const providers = providerIdSchema.options.filter(
    (provider) => route.includes(provider) || isProviderConfigured(config, provider) || providerCircuits.declares(provider),
  );
  // A declared deployment has a circuit of its own, under its id; an implicit one is its provider's.
  const deploymentsOf = Object.fromEntries(providers.map((provider) => [provider, providerCircuits.circuitsOf(provider)]));
  metrics.setCircuitSource(async () => {
    const snapshot = snapshotsOnce(breaker);
    const [deployments, shown] = await Promise.all([
      Promise.all(
        Object.values(deploymentsOf)
          .flat()
          .map(async (circuit) => [circuit, (await snapshot(circuit)).state] as const),
      ),
      Promise.all(providers.map(async (provider) => [provider, (await providerCircuits.read(provider, snapshot)).state] as const)),
    ]);
    return {
      // A provider with deployments declared reads as they make it together: its own circuit no longer moves.
      circuits: Object.fromEntries([...deployments, ...shown].map(([name, state]) => [name, circuitStateValue(state)])),
      // The default route counts each provider's deployments (its own circuit while it has none declared).
      routes: { default: route.flatMap((provider) => providerCircuits.circuitsOf(provider)) },
      providers: deploymentsOf,
    };
  });
}
