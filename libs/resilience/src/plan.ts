import type { ProviderId } from '@gateway/contracts';
import type { PlannedAttempt } from './failover';

/** The resolved route of a request (see resolveRoute in @gateway/providers). */
export interface RouteLike {
  provider: ProviderId;
  upstreamModel: string;
  /** The model named its provider (`mock/…`, `ollama/…`, `cursor/…`): no failover to others. */
  pinned: boolean;
}

/**
 * The providers to try for a route: a pinned route only its own; otherwise the primary then each fallback,
 * once each, all asked for the same model.
 */
export function planAttempts(route: RouteLike, chain: { primary: ProviderId; fallbacks: readonly ProviderId[] }): PlannedAttempt[] {
  if (route.pinned) return [{ provider: route.provider, model: route.upstreamModel }];
  const providers = [...new Set<ProviderId>([route.provider, chain.primary, ...chain.fallbacks])];
  return providers.map((provider) => ({ provider, model: route.upstreamModel }));
}
