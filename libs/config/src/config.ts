import { allowedHostNames } from './allowed-hosts';
import { loadGatewayFile, type GatewayFileConfig } from './config-file';
import { configShape, envSchema } from './config-shape';
import { ConfigError, deepFreeze, environmentSource, readSettings, type SettingsOf } from './settings';

export { ConfigError } from './settings';

/**
 * A check of the whole configuration that the schema cannot make alone: the problems it finds (each naming its
 * variable), none when it is sound. The providers' own (a provider in the chain without its key) comes from
 * @gateway/providers, which knows what each provider needs.
 */
export type ConfigCheck = (config: Config) => readonly string[];

type Parsed = SettingsOf<typeof configShape>;

/**
 * The validated, frozen configuration of an app: one field per setting of configShape, with its doc comment; the
 * values `derive` fills in are never undefined.
 */
export interface Config extends Omit<Parsed, 'limits' | 'worker'> {
  readonly limits: Parsed['limits'] & { readonly callerRateRps: number; readonly callerRateBurst: number };
  readonly worker: Parsed['worker'] & { readonly jobConcurrency: number; readonly batchConcurrency: number };
  /** GATEWAY_CONFIG_FILE's deployments, model groups and aliases (empty without a file). */
  readonly file: GatewayFileConfig;
}

/** The caller-wide bucket's default: this many agents' worth of rate and burst. */
const callerRateFactor = 10;

/** The values that combine several variables; every other value is its own variable's, as parsed. */
function derive(parsed: Parsed, file: GatewayFileConfig): Config {
  const { limits, http } = parsed;
  return {
    ...parsed,
    // The file's aliases join LLM_MODEL_ALIASES (the file's winning on a clash): the API applies them all before enqueueing.
    llm: { ...parsed.llm, modelAliases: { ...parsed.llm.modelAliases, ...file.aliases } },
    http: {
      ...http,
      allowedHosts: allowedHostNames(http.allowedHosts, http.host),
      // Node refuses a request timeout below the headers timeout.
      requestTimeoutMs: Math.max(http.requestTimeoutMs, http.headersTimeoutMs),
    },
    limits: {
      ...limits,
      callerRateRps: limits.callerRateRps ?? limits.rateRps * callerRateFactor,
      callerRateBurst: limits.callerRateBurst ?? limits.rateBurst * callerRateFactor,
    },
    worker: {
      ...parsed.worker,
      jobConcurrency: parsed.worker.jobConcurrency ?? parsed.worker.concurrency,
      batchConcurrency: parsed.worker.batchConcurrency ?? parsed.worker.concurrency,
    },
    models: parsed.models.length > 0 ? parsed.models : [parsed.llm.defaultModel],
    file,
  };
}

/** Reads and validates the environment once, then runs `checks` on the result. Throws ConfigError naming the variable at fault. */
export function loadConfig(environment: Record<string, string | undefined> = process.env, checks: readonly ConfigCheck[] = []): Config {
  const parsed = readSettings(configShape, envSchema, environmentSource(environment));
  const config = deepFreeze(derive(parsed, loadGatewayFile(parsed.configFile, environment)));
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
