import type { Config } from '@gateway/config';
import { bullPrefix, type RedisClient } from '@gateway/queue';
import { createCircuitBreaker, type CircuitBreaker } from '@gateway/resilience';

/** The API's view of the shared circuits (it reads them; the workers' calls move them). */
export function createCircuitReader(config: Config, redis: RedisClient): CircuitBreaker {
  return createCircuitBreaker({
    redis,
    prefix: bullPrefix(config),
    failureThreshold: config.circuit.failureThreshold,
    resetTimeMs: config.circuit.resetTimeMs,
    trialLeaseMs: config.llm.providerTimeoutMs,
  });
}
