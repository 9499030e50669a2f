import type { ChatParams, EmbeddingsParams, ProviderId } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { HttpClient } from './http/http-client';
import type { ProviderAdapter } from './types';

/** What the gateway's configuration says of the providers. */
export type ProvidersConfig = Pick<Config, 'providers' | 'llm'>;

/** Says which field of a request a provider cannot honour (a path such as `tools` or `messages.2.content.0`), or undefined. */
export type CapabilityCheck = (request: ChatParams) => string | undefined;

/**
 * Which model ids a provider serves on an unpinned route:
 * - `any`: every `vendor/model` id as it is (OpenRouter's catalogue; the mock answers anything);
 * - `vendor`: `<vendor>/<model>` with the prefix stripped (a direct vendor API);
 * - `own`: its own names only; a `vendor/model` id it cannot serve gets its default model.
 */
export type ModelScope = { kind: 'any' } | { kind: 'vendor'; vendor: string } | { kind: 'own' };

/**
 * Where a provider's prices come from: `free` (no price: it costs nothing), or the catalogue's id for it
 * (`@pydantic/genai-prices`), with `endpoint` when OpenRouter's models endpoint lists its prices too.
 */
export type PriceSource = { kind: 'free' } | { kind: 'catalogue'; catalogueId: string; endpoint: boolean };

/**
 * Everything the gateway knows of one provider, in one place. Routing, configuration checks, `/v1/providers`,
 * secret scrubbing, failover, capability checks and pricing read the list of these; none of them names a provider.
 */
export interface ProviderDefinition {
  readonly id: ProviderId;
  /** Kept working but slated for removal: its models should be routed through OpenRouter. */
  readonly deprecated: boolean;
  /** The variable carrying the key it cannot be called without, and its value in a configuration. */
  readonly credential?: { readonly variable: string; readonly of: (config: ProvidersConfig) => string | undefined };
  /** `<prefix>/<model>` pins a request to this provider (no failover), the prefix stripped. */
  readonly modelPrefix?: string;
  readonly models: ModelScope;
  /** The model it is asked for when it cannot serve the one named (see ModelScope `own`, and a fallback's bare names). */
  readonly defaultModel?: (config: ProvidersConfig) => string;
  /** Secret values of its configuration: scrubbed from logs and from upstream error text wherever they appear. */
  readonly secrets: (config: ProvidersConfig) => readonly (string | undefined)[];
  /** The first field of a request it cannot honour; failover skips it for such a request (no call, no circuit count). */
  readonly capabilities: CapabilityCheck;
  readonly prices: PriceSource;
  /**
   * Whether it embeds (`POST /v1/embeddings`): absent, it cannot, and embeddings' failover skips it. `batchSize` is the
   * most inputs one upstream call takes (its setting): longer input lists are split and joined in order. `refuses`
   * names the first field of an embeddings request it cannot honour, as `capabilities` does for chat.
   */
  readonly embeddings?: {
    readonly batchSize: (config: ProvidersConfig) => number;
    readonly refuses?: (request: EmbeddingsParams) => string | undefined;
  };
  /** Its adapter; `http()` makes its pooled HTTP client (as many keep-alive connections as a worker's calls in flight). */
  readonly createAdapter: (config: ProvidersConfig, http: () => HttpClient) => ProviderAdapter;
}
