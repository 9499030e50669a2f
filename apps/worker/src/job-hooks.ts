import { recoveryOf } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import type { FailoverHooks, PlannedAttempt } from '@gateway/resilience';

/** Pauses every worker's calls to what an attempt called (its deployment, else its provider) for `ms`. */
export type PauseAttempt = (attempt: PlannedAttempt, ms: number) => Promise<void>;

/**
 * The failover hooks of one job: the shared ones (circuit breaker, counters), plus the pause of a provider that
 * answered 429 with Retry-After (its jobs wait or go to the next provider, on every worker; capped at
 * PROVIDER_MAX_PAUSE_MS; a deployment of GATEWAY_CONFIG_FILE is paused alone, not its provider's others) and a log line per failover. A 429 of one model (`failover-uncounted`) pauses nobody.
 */
export function jobFailoverHooks(hooks: FailoverHooks, pause: PauseAttempt, log: Logger): FailoverHooks {
  return {
    ...hooks,
    onFailure: async (attempt, error) => {
      await hooks.onFailure?.(attempt, error);
      if (error.details.upstreamStatus === 429 && error.details.retryAfterSeconds !== undefined && recoveryOf(error) !== 'failover-uncounted') {
        await pause(attempt, error.details.retryAfterSeconds * 1000).catch((pauseError: unknown) => log.warn({ err: pauseError }, 'could not pause provider'));
      }
    },
    onFailover: (from, to, error) => {
      hooks.onFailover?.(from, to, error);
      log.warn({ from: from.provider, to: to.provider, errorType: error.type, reason: error.message }, 'provider failed over');
    },
  };
}
