import { recoveryOf, type GatewayError, type ProviderId } from '@gateway/contracts';
import type { Logger, Metrics } from '@gateway/observability';
import { AcquireCode, circuitStateValue, type CallOutcome, type CircuitBreaker, type CircuitState } from './circuit-breaker';
import { deploymentOf, type FailoverHooks, type PlannedAttempt } from './failover';
import type { ProviderErrorLog } from './provider-errors';
import type { ProviderStats } from './provider-stats';

export interface BreakerHooksOptions {
  breaker: CircuitBreaker;
  stats: ProviderStats;
  logger: Logger;
  metrics?: Pick<Metrics, 'providerFailovers' | 'circuitState'>;
  /** Where failures that count against a circuit are kept for operators (GET /admin/providers); none: not kept. */
  errors?: Pick<ProviderErrorLog, 'record'>;
}

/**
 * A failure says something about the provider only when its recovery is `failover` (connection, timeout, 429, 5xx,
 * malformed answer). An invalid request or a cancelled caller is neutral: it must not open the circuit.
 */
export function outcomeOf(error: GatewayError): CallOutcome {
  return recoveryOf(error) === 'failover' ? 'failure' : 'neutral';
}

/**
 * The circuit breaker and the shared counters as withFailover hooks: an open provider is skipped (never
 * called), each call's outcome moves its circuit, and calls/failures/failovers are counted in Redis.
 * Redis trouble never blocks a call: the breaker then fails open (the call goes through) and says so.
 */
export function createBreakerHooks(options: BreakerHooksOptions): Required<FailoverHooks> {
  const { breaker, stats, logger, metrics, errors } = options;
  const quietly = (work: Promise<unknown>, what: string, provider: ProviderId) =>
    work.catch((error: unknown) => logger.warn({ err: error, provider }, `${what} failed: redis unreachable?`));
  // A circuit is a deployment's (a provider's implicit one bears its name): the gauge's label names it.
  const showState = (circuit: string, state: CircuitState) => metrics?.circuitState.set({ provider: circuit }, circuitStateValue(state));

  // Attempts let through a closed circuit with no failure counted: their success has nothing to reset, so it
  // costs no Redis round trip. (A failure another worker records meanwhile is then reset by the next success
  // whose acquire sees it: under concurrency "consecutive" is only as exact as the calls' interleaving.)
  const clean = new WeakSet<PlannedAttempt>();

  const record = async (attempt: PlannedAttempt, outcome: CallOutcome) => {
    const { provider } = attempt;
    const circuit = deploymentOf(attempt);
    // The counters only feed /v1/providers: never wait for them on the way to the answer.
    void quietly(stats.increment(provider, 'calls'), 'provider counter', provider);
    if (outcome === 'failure') void quietly(stats.increment(provider, 'failures'), 'provider counter', provider);
    if (outcome === 'success' && clean.has(attempt)) {
      clean.delete(attempt);
      return;
    }
    try {
      const after = await breaker.record(circuit, outcome);
      showState(circuit, after.state);
      if (after.changed) {
        if (after.state === 'open') logger.warn({ provider, deployment: circuit }, 'circuit opened');
        else if (after.state === 'closed') logger.info({ provider, deployment: circuit }, 'circuit closed');
      }
    } catch (error) {
      logger.warn({ err: error, provider, deployment: circuit }, 'circuit breaker record failed: redis unreachable?');
    }
  };

  return {
    async shouldTry(attempt) {
      const { provider } = attempt;
      const circuit = deploymentOf(attempt);
      try {
        const decision = await breaker.acquire(circuit);
        if (decision.code === AcquireCode.Closed) clean.add(attempt);
        else clean.delete(attempt);
        if (decision.trial) {
          showState(circuit, 'half_open');
          logger.info({ provider, deployment: circuit }, 'circuit half-open: trial call');
        }
        if (!decision.allowed) {
          showState(circuit, 'open');
          logger.debug({ provider, deployment: circuit, code: decision.code }, 'circuit open: provider skipped');
          await quietly(stats.increment(provider, 'skipped'), 'provider counter', provider);
        }
        return decision.allowed;
      } catch (error) {
        logger.warn({ err: error, provider }, 'circuit breaker unreadable: calling the provider anyway');
        return true;
      }
    },
    onSuccess: (attempt) => record(attempt, 'success'),
    onFailure(attempt, error) {
      const outcome = outcomeOf(error);
      // Like the counters, never waited for on the way to the answer.
      if (outcome === 'failure' && errors) void quietly(errors.record(attempt, error), 'provider error log', attempt.provider);
      return record(attempt, outcome);
    },
    onFailover(from, to) {
      metrics?.providerFailovers.inc({ from: from.provider, to: to.provider });
      void quietly(stats.increment(from.provider, 'failovers'), 'provider counter', from.provider);
    },
  };
}
