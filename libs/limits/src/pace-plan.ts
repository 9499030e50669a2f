import type { Lane, ProviderId } from '@gateway/contracts';
import type { PaceDecision, ProviderPacer } from './provider-pacer';

/**
 * Drops from the front of a failover plan the providers that may not be called now (paced or paused after a
 * 429), taking one request from the first that may. When none may, says how long to wait.
 */
export async function pacePlan<T extends { provider: ProviderId }>(
  pacer: ProviderPacer,
  plan: readonly T[],
  lane: Lane = 'interactive',
): Promise<{ plan: T[] } | { waitMs: number; reason: 'rate' | 'paused' }> {
  let soonest: Extract<PaceDecision, { go: false }> | undefined;
  for (let index = 0; index < plan.length; index += 1) {
    const decision = await pacer.acquire(plan[index]!.provider, lane);
    if (decision.go) return { plan: plan.slice(index) };
    if (!soonest || decision.waitMs < soonest.waitMs) soonest = decision;
  }
  return soonest ? { waitMs: soonest.waitMs, reason: soonest.reason } : { plan: [...plan] };
}
