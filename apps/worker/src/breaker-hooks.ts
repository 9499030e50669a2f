import { secretValues, type Config } from '@gateway/config';
import { createSecretScrubber, type Logger, type Metrics } from '@gateway/observability';
import { providerSecretValues } from '@gateway/providers';
import { createRedisConnection, type QueuePrefix, type RedisClient } from '@gateway/queue';
import {
  createBreakerHooks,
  createCircuitBreaker,
  createProviderErrorLog,
  createProviderStats,
  type CircuitBreaker,
  type FailoverHooks,
  type ProviderStats,
} from '@gateway/resilience';

/** How long the worker holds provider counters before writing them (they only feed /v1/providers). */
const STATS_BUFFER_MS = 250;

/** Room past the provider deadline before another worker may take over an unanswered half-open trial. */
const TRIAL_LEASE_MARGIN_MS = 5000;

/**
 * The worker's circuit breaker and provider counters, on their own `command` connection: breaker calls fail
 * fast while Redis is down (and the breaker then fails open) instead of queueing behind the worker's blocking one.
 */
export function createWorkerBreakerHooks(
  config: Config,
  prefix: QueuePrefix,
  logger: Logger,
  metrics: Metrics,
): { hooks: FailoverHooks; redis: RedisClient; breaker: CircuitBreaker; stats: ProviderStats } {
  const redis = createRedisConnection(config, 'command', 'gw-worker-breaker');
  redis.on('error', (error: Error) => logger.debug({ err: error, connection: 'breaker' }, 'redis connection error'));
  const breaker = createCircuitBreaker({
    redis,
    prefix,
    failureThreshold: config.circuit.failureThreshold,
    resetTimeMs: config.circuit.resetTimeMs,
    trialLeaseMs: config.llm.providerTimeoutMs + TRIAL_LEASE_MARGIN_MS,
    circuits: config.file.deployments.map((deployment) => deployment.id),
  });
  const stats = createProviderStats(redis, prefix, { bufferMs: STATS_BUFFER_MS });
  // What each circuit's failures said, for GET /admin/providers (an upstream's text may quote the key it was sent).
  const errors = createProviderErrorLog(redis, prefix, { scrub: createSecretScrubber([...secretValues(config), ...providerSecretValues(config)]) });
  return { redis, breaker, stats, hooks: createBreakerHooks({ breaker, stats, logger, metrics, errors }) };
}
