import type { Config } from './config';
import type { CursorAdapterConfig } from './cursor-adapter-config';

/** The password of a URL's userinfo (`redis://user:pass@host`), as written and decoded. */
function urlPasswords(url: string): string[] {
  try {
    const password = new URL(url).password;
    return password === '' ? [] : [password, decodeURIComponent(password)];
  } catch {
    return [];
  }
}

/**
 * The gateway's own secret values in a configuration (for the logger to scrub wherever they appear): its tokens,
 * the callback secret, Redis' password. The providers' keys come from @gateway/providers (providerSecretValues).
 */
export function secretValues(config: Pick<Config, 'http' | 'redis'> & Partial<Pick<Config, 'jobs' | 'file'>>): string[] {
  const deploymentKeys = config.file?.deployments.map((deployment) => deployment.apiKey) ?? [];
  return [config.http.authToken, config.http.adminToken, config.jobs?.callbackSecret, ...urlPasswords(config.redis.url), ...deploymentKeys].filter(
    (value): value is string => value !== undefined,
  );
}

/** The secret values of the Cursor adapter's configuration: the Cursor key its agent runs with. */
export function cursorAdapterSecretValues(config: Pick<CursorAdapterConfig, 'cursorApiKey' | 'token'>): string[] {
  return [config.token, ...(config.cursorApiKey === undefined ? [] : [config.cursorApiKey])];
}
