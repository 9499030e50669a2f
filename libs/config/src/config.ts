import { allowedHostNames } from './allowed-hosts';
import { configShape, envSchema } from './config-shape';
import { ConfigError, deepFreeze, environmentSource, readSettings, type SettingsOf } from './settings';

export { ConfigError } from './settings';

/**
 * A check of the whole configuration that the schema cannot make alone: the problems it finds (each naming its
 * variable), none when it is sound. The providers' own (a provider in the chain without its key) comes from
 * @gateway/providers, which knows what each provider needs.
 */
export type ConfigCheck = (config: Config) => readonly string[];

/** The validated, frozen configuration of an app: one field per setting of configShape, with its doc comment. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, so that messages say `Config`, not the mapped type
export interface Config extends SettingsOf<typeof configShape> {}

/** The values that combine several variables; every other value is its own variable's, as parsed. */
function derive(parsed: Config): Config {
  return {
    ...parsed,
    http: { ...parsed.http, allowedHosts: allowedHostNames(parsed.http.allowedHosts, parsed.http.host) },
    models: parsed.models.length > 0 ? parsed.models : [parsed.llm.defaultModel],
  };
}

/** Reads and validates the environment once, then runs `checks` on the result. Throws ConfigError naming the variable at fault. */
export function loadConfig(environment: Record<string, string | undefined> = process.env, checks: readonly ConfigCheck[] = []): Config {
  const config = deepFreeze(derive(readSettings(configShape, envSchema, environmentSource(environment))));
  const problems = checks.flatMap((check) => check(config));
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return config;
}

/** For app entry points: loads the config or prints why not and exits 1. */
export function loadConfigOrExit(environment: Record<string, string | undefined> = process.env, checks: readonly ConfigCheck[] = []): Config {
  try {
    return loadConfig(environment, checks);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
