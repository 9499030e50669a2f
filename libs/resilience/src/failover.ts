import {
  allProvidersFailed,
  recoveryOf,
  toGatewayError,
  unexpectedProviderFailure,
  withAttempts,
  type Attempt,
  type GatewayError,
  type ProviderId,
} from '@gateway/contracts';

/** One provider to try, with the model name that provider should be asked for. */
export interface PlannedAttempt {
  provider: ProviderId;
  model: string;
  /** The deployment called (GATEWAY_CONFIG_FILE); absent: the provider's implicit one, named after it. */
  deployment?: string;
}

/** The deployment an attempt calls: its own, else its provider's implicit one (named after the provider). */
export function deploymentOf(attempt: PlannedAttempt): string {
  return attempt.deployment ?? attempt.provider;
}

export interface FailoverOutcome<T> {
  value: T;
  /** The provider that served the request. */
  provider: ProviderId;
  /** Failed attempts before the one that succeeded. */
  failures: Attempt[];
}

/** Hooks around each attempt (circuit breaker, metrics, logs). */
export interface FailoverHooks {
  /** Return false to skip a provider without calling it (e.g. its circuit is open). */
  shouldTry?: (attempt: PlannedAttempt) => Promise<boolean> | boolean;
  onSuccess?: (attempt: PlannedAttempt) => Promise<void> | void;
  onFailure?: (attempt: PlannedAttempt, error: GatewayError) => Promise<void> | void;
  /** Called when moving on from a failed provider to the next one. */
  onFailover?: (from: PlannedAttempt, to: PlannedAttempt, error: GatewayError) => void;
}

/**
 * Tries each planned provider in order. Failures to fail over from (connection, timeout, 429, 5xx, malformed answers,
 * a provider that cannot serve this request) move on; a `final` one (the request itself is invalid, or the caller
 * cancelled) ends the call at once.
 * When every provider fails: `timeout` if every failure was a timeout, else `upstream_error` listing the attempts.
 */
export async function withFailover<T>(
  plan: readonly PlannedAttempt[],
  call: (attempt: PlannedAttempt) => Promise<T>,
  hooks: FailoverHooks = {},
): Promise<FailoverOutcome<T>> {
  const failures: Attempt[] = [];
  const errors: GatewayError[] = [];
  let previous: { attempt: PlannedAttempt; error: GatewayError } | undefined;
  for (const attempt of plan) {
    if (hooks.shouldTry && !(await hooks.shouldTry(attempt))) {
      failures.push({ provider: attempt.provider, status: null, reason: 'circuit open: skipped' });
      continue;
    }
    if (previous) hooks.onFailover?.(previous.attempt, attempt, previous.error);
    try {
      const value = await call(attempt);
      await hooks.onSuccess?.(attempt);
      return { value, provider: attempt.provider, failures };
    } catch (caught) {
      const error = toGatewayError(caught, unexpectedProviderFailure);
      await hooks.onFailure?.(attempt, error);
      failures.push({ provider: attempt.provider, status: error.details.upstreamStatus ?? null, reason: error.message });
      if (recoveryOf(error) === 'final') {
        throw withAttempts(error, failures);
      }
      errors.push(error);
      previous = { attempt, error };
    }
  }
  // No provider had the model: that is the caller's answer (e.g. 400 for a model not pulled), not a 502.
  const missing = errors.filter((error) => recoveryOf(error) === 'failover-uncounted');
  if (missing.length > 0 && missing.length === errors.length) {
    const last = missing[missing.length - 1]!;
    throw withAttempts(last, failures);
  }
  throw allProvidersFailed(failures, errors);
}
