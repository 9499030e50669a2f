import type { ProviderId } from '@gateway/contracts';
import { providerDefinitions } from './definitions';

/** Model prefixes that pick a provider by name (`ollama/…`); anything else (vendor/model ids) goes to the primary. */
const providerByPrefix: ReadonlyMap<string, ProviderId> = new Map(
  Object.values(providerDefinitions).flatMap((definition) => (definition.modelPrefix === undefined ? [] : [[definition.modelPrefix, definition.id] as const])),
);

/** Where a request goes: the provider and the model name the upstream sees (prefix stripped). */
export interface Route {
  provider: ProviderId;
  upstreamModel: string;
  /** True when the model named its provider: such a request is not failed over to another provider. */
  pinned: boolean;
}

export function resolveRoute(model: string | undefined, options: { primary: ProviderId; defaultModel: string }): Route {
  const name = model && model.trim() !== '' ? model.trim() : options.defaultModel;
  const slash = name.indexOf('/');
  if (slash > 0) {
    const prefix = name.slice(0, slash);
    const provider = providerByPrefix.get(prefix);
    if (provider) return { provider, upstreamModel: name.slice(slash + 1), pinned: true };
  }
  return { provider: options.primary, upstreamModel: name, pinned: false };
}
