import { GatewayError, type ProviderId } from '@gateway/contracts';
import type { Metrics } from '@gateway/observability';

/**
 * Records one provider call's outcome: its duration by outcome (success, failure, or cancelled: the caller ended
 * it, nothing failed), and its count by provider, model and outcome (the error type on failure, `cancelled` too).
 */
export function observeProviderCall(
  metrics: Pick<Metrics, 'providerRequestDuration' | 'providerRequests'>,
  call: { provider: ProviderId; modelLabel: string; startedAt: number },
  error?: unknown,
): void {
  const type = error instanceof GatewayError ? error.type : undefined;
  const outcome = error === undefined ? 'success' : type === 'cancelled' ? 'cancelled' : 'failure';
  metrics.providerRequestDuration.observe({ provider: call.provider, outcome }, (performance.now() - call.startedAt) / 1000);
  metrics.providerRequests.inc({ provider: call.provider, model: call.modelLabel, outcome: error === undefined ? 'success' : (type ?? 'failure') });
}
