import type { Config } from './config';

/** Every secret value of a configuration (for the logger to scrub wherever it appears). */
export function secretValues(config: Pick<Config, 'http' | 'providers'> & Partial<Pick<Config, 'jobs'>>): string[] {
  const { providers } = config;
  return [config.http.authToken, providers.openrouter.apiKey, providers.openai.apiKey, providers.anthropic.apiKey, providers.cursor.token, config.jobs?.callbackSecret].filter(
    (value): value is string => value !== undefined,
  );
}
