import type { ProviderId } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { anthropicDefinition } from './anthropic/definition';
import { cursorDefinition } from './cursor/definition';
import type { ProviderDefinition, ProvidersConfig } from './definition';
import { mockDefinition } from './mock/definition';
import { ollamaDefinition } from './ollama/definition';
import { openAiDefinition } from './openai/definition';
import { openRouterDefinition } from './openrouter/definition';

/** Every provider's definition: adding an id to the contracts enum fails compilation here until it has one. */
export const providerDefinitions: Readonly<Record<ProviderId, ProviderDefinition>> = {
  openrouter: openRouterDefinition,
  ollama: ollamaDefinition,
  cursor: cursorDefinition,
  openai: openAiDefinition,
  anthropic: anthropicDefinition,
  mock: mockDefinition,
};

export function definitionOf(provider: ProviderId): ProviderDefinition {
  return providerDefinitions[provider];
}

/**
 * A provider is configured when it has the credential it needs (the others need only an address, which has a
 * default): its own variable, or a key of one of its deployments in GATEWAY_CONFIG_FILE.
 */
export function isProviderConfigured(config: ProvidersConfig & Partial<Pick<Config, 'file'>>, provider: ProviderId): boolean {
  const { credential } = providerDefinitions[provider];
  if (credential === undefined || credential.of(config) !== undefined) return true;
  return config.file?.deployments.some((deployment) => deployment.provider === provider && deployment.apiKey !== undefined) ?? false;
}

/** What stops the apps at start-up: a provider in LLM_PROVIDER/LLM_FALLBACKS without its credential. */
export function providerConfigurationProblems(config: ProvidersConfig): string[] {
  return [...new Set([config.llm.provider, ...config.llm.fallbacks])]
    .filter((provider) => !isProviderConfigured(config, provider))
    .map((provider) => `${providerDefinitions[provider].credential?.variable ?? provider}: required because its provider is in LLM_PROVIDER/LLM_FALLBACKS`);
}

/** Every provider's secret values in a configuration (keys, the Cursor adapter's token): what scrubbers remove. */
export function providerSecretValues(config: ProvidersConfig): string[] {
  return Object.values(providerDefinitions)
    .flatMap((definition) => definition.secrets(config))
    .filter((value): value is string => value !== undefined);
}
