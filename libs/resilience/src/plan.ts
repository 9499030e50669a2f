import { invalidRequest, type ProviderId } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { definitionOf, providerDefinitions } from '@gateway/providers';
import type { PlannedAttempt } from './failover';

/** The resolved route of a request (see resolveRoute in @gateway/providers). */
export interface RouteLike {
  provider: ProviderId;
  upstreamModel: string;
  /** The model named its provider (`mock/…`, `ollama/…`, `cursor/…`): no failover to others. */
  pinned: boolean;
}

/** The failover chain, and the model each provider is asked for when it cannot serve the one named. */
export interface FailoverChain {
  primary: ProviderId;
  fallbacks: readonly ProviderId[];
  /** Per provider (OLLAMA_DEFAULT_MODEL, CURSOR_DEFAULT_MODEL, …); a provider without one gets the name as is. */
  defaultModels?: Partial<Record<ProviderId, string>>;
  /** MOCK_PROVIDER_ENABLED: `mock/…` is served even though the mock is neither the primary nor a fallback. */
  mockEnabled?: boolean;
}

/**
 * The model a provider is asked for on an unpinned route:
 * - OpenRouter and Mock: the name as is;
 * - OpenAI / Anthropic: `openai/x` / `anthropic/x` → `x`;
 * - otherwise a `vendor/model` id it cannot serve → its default model;
 * - a bare name without a vendor: as is for the primary (the client meant it), the default model for a fallback.
 */
export function modelFor(provider: ProviderId, requested: string, isPrimary: boolean, defaults: Partial<Record<ProviderId, string>> = {}): string {
  const { models } = definitionOf(provider);
  if (models.kind === 'any') return requested;
  if (models.kind === 'vendor' && requested.startsWith(`${models.vendor}/`)) return requested.slice(models.vendor.length + 1);
  const fallbackModel = defaults[provider];
  if (fallbackModel === undefined) return requested;
  if (requested.includes('/')) return fallbackModel;
  return isPrimary ? requested : fallbackModel;
}

/** Chains by configuration: a configuration is frozen, so its chain is made once (every request asks for it). */
const chains = new WeakMap<object, FailoverChain>();

/** The chain of an app's configuration. */
export function failoverChain(config: Pick<Config, 'llm' | 'providers'>): FailoverChain {
  // A configuration built by hand (tests) may change between calls: only a frozen one is remembered.
  if (!Object.isFrozen(config)) return chainOf(config);
  let chain = chains.get(config);
  if (!chain) {
    chain = chainOf(config);
    chains.set(config, chain);
  }
  return chain;
}

function chainOf(config: Pick<Config, 'llm' | 'providers'>): FailoverChain {
  return {
    primary: config.llm.provider,
    fallbacks: config.llm.fallbacks,
    defaultModels: Object.fromEntries(
      Object.values(providerDefinitions).flatMap((definition) =>
        definition.defaultModel === undefined ? [] : [[definition.id, definition.defaultModel(config)]],
      ),
    ),
    mockEnabled: config.providers.mock.enabled,
  };
}

/** The mock answers only when it is the primary, a fallback, or enabled outright: it is free and in-process. */
function mockServes(chain: FailoverChain): boolean {
  return chain.mockEnabled === true || chain.primary === 'mock' || chain.fallbacks.includes('mock');
}

/**
 * The providers to try for a route (`invalid_request` for `mock/…` when the mock does not serve): a pinned route only its own, with the model as named; otherwise the
 * primary then each fallback, once each, each asked for the model it can serve (see modelFor).
 */
export function planAttempts(route: RouteLike, chain: FailoverChain): PlannedAttempt[] {
  if (route.provider === 'mock' && !mockServes(chain)) {
    throw invalidRequest('model: the mock provider is not enabled on this gateway');
  }
  if (route.pinned) return [{ provider: route.provider, model: route.upstreamModel }];
  const providers = [...new Set<ProviderId>([route.provider, chain.primary, ...chain.fallbacks])];
  return providers.map((provider) => ({ provider, model: modelFor(provider, route.upstreamModel, provider === route.provider, chain.defaultModels) }));
}
