import { loadConfig } from '@gateway/config';
import { providerIdSchema } from '@gateway/contracts';
import { definitionOf, isProviderConfigured, providerConfigurationProblems, providerDefinitions, providerSecretValues } from './definitions';

const load = (environment: Record<string, string>) => loadConfig(environment, [providerConfigurationProblems]);

describe('provider definitions', () => {
  it('has one definition per provider id, under its own id', () => {
    for (const id of providerIdSchema.options) expect(definitionOf(id).id).toBe(id);
    expect(Object.keys(providerDefinitions).sort()).toEqual([...providerIdSchema.options].sort());
  });

  it('requires the OpenRouter key only when OpenRouter is in the chain', () => {
    expect(() => load({})).toThrow('OPENROUTER_API_KEY: required because its provider is in LLM_PROVIDER/LLM_FALLBACKS');
    expect(() => load({ LLM_PROVIDER: 'mock', LLM_FALLBACKS: 'openrouter' })).toThrow('OPENROUTER_API_KEY');
    expect(() => load({ LLM_PROVIDER: 'mock', LLM_FALLBACKS: 'ollama' })).not.toThrow();
    expect(() => load({ OPENROUTER_API_KEY: '   ' })).toThrow('OPENROUTER_API_KEY');
  });

  it('requires the keys of deprecated providers when they are in the chain, naming each missing one', () => {
    expect(() => load({ LLM_PROVIDER: 'openai' })).toThrow('OPENAI_API_KEY');
    expect(() => load({ LLM_PROVIDER: 'mock', LLM_FALLBACKS: 'anthropic,openai' })).toThrow(/ANTHROPIC_API_KEY.*; OPENAI_API_KEY/);
  });

  it('says a provider is configured when it has the key it needs; providers without a key always are', () => {
    const config = loadConfig({ LLM_PROVIDER: 'mock', OPENAI_API_KEY: 'sk-openai-0123' });
    expect(isProviderConfigured(config, 'openai')).toBe(true);
    expect(isProviderConfigured(config, 'openrouter')).toBe(false);
    expect(isProviderConfigured(config, 'ollama')).toBe(true);
  });

  it("lists every provider's secrets, the Cursor adapter's token included", () => {
    const config = loadConfig({
      LLM_PROVIDER: 'mock',
      OPENROUTER_API_KEY: 'sk-or-secret-1',
      ANTHROPIC_API_KEY: 'sk-ant-secret-2',
      CURSOR_ADAPTER_TOKEN: 'cursor-token-0123456789',
    });
    expect(providerSecretValues(config).sort()).toEqual(['cursor-token-0123456789', 'sk-ant-secret-2', 'sk-or-secret-1']);
    expect(providerSecretValues(loadConfig({ LLM_PROVIDER: 'mock' }))).toEqual([]);
  });
});
