import type { ProviderId } from '@gateway/contracts';
import type { Config, DeploymentConfig } from '@gateway/config';
import type { ProvidersConfig } from './definition';

/** A place calls go: a deployment of GATEWAY_CONFIG_FILE, or a provider's implicit one (named after it, from its env variables). */
export interface Deployment extends DeploymentConfig {
  /** True for a provider's implicit deployment: its pacing is PROVIDER_RPM's, its circuit the provider's. */
  readonly implicit: boolean;
}

/** The configuration the deployments are read from; `file` is absent from hand-built test configurations. */
export type DeploymentsConfig = ProvidersConfig & Partial<Pick<Config, 'file'>>;

/** A provider's implicit deployment: named after it, serving every model, its address and key from its env variables. */
export function implicitDeployment(provider: ProviderId): Deployment {
  return { id: provider, provider, models: ['*'], weight: 1, implicit: true };
}

/** A model glob as a pattern: `*` any run of characters, everything else literal. */
function globPattern(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

export interface DeploymentTable {
  /** Every deployment: the file's, then the implicit one of each provider the file declares none of. */
  readonly all: readonly Deployment[];
  byId(id: string): Deployment | undefined;
  /** The deployments of a provider that serve a model, in the file's order. */
  serving(provider: ProviderId, model: string): readonly Deployment[];
  /** A provider's deployments: the file's, else its implicit one (whose circuit is the provider's own). */
  ofProvider(provider: ProviderId): readonly Deployment[];
  /** True when the file declares deployments (the plan then expands providers into them). */
  readonly declared: boolean;
}

const tables = new WeakMap<object, DeploymentTable>();

/** The deployments of a configuration (made once per frozen configuration). */
export function deploymentTable(config: DeploymentsConfig): DeploymentTable {
  const kept = Object.isFrozen(config) ? tables.get(config) : undefined;
  if (kept) return kept;
  const table = tableOf(config);
  if (Object.isFrozen(config)) tables.set(config, table);
  return table;
}

function tableOf(config: DeploymentsConfig): DeploymentTable {
  const declared = config.file?.deployments ?? [];
  const withFile = new Set(declared.map((deployment) => deployment.provider));
  const implicit = (Object.keys(config.providers) as ProviderId[]).filter((provider) => !withFile.has(provider)).map(implicitDeployment);
  const all: Deployment[] = [...declared.map((deployment) => ({ ...deployment, implicit: false })), ...implicit];
  const byId = new Map(all.map((deployment) => [deployment.id, deployment]));
  const patterns = new Map(all.map((deployment) => [deployment.id, deployment.models.map(globPattern)]));
  const serving = new Map<string, readonly Deployment[]>();
  return {
    all,
    declared: declared.length > 0,
    byId: (id) => byId.get(id),
    ofProvider(provider) {
      const own = all.filter((deployment) => deployment.provider === provider);
      return own.length > 0 ? own : [implicitDeployment(provider)];
    },
    serving(provider, model) {
      const key = `${provider}\n${model}`;
      let found = serving.get(key);
      if (!found) {
        found = all.filter((deployment) => deployment.provider === provider && patterns.get(deployment.id)!.some((pattern) => pattern.test(model)));
        // Bounded: a gateway serves few distinct models; past that, answers are computed each time.
        if (serving.size < 10_000) serving.set(key, found);
      }
      return found;
    },
  };
}

/** A provider's configuration as one deployment sees it: its base URL and key in place of the env variables'. */
export function deploymentConfig(config: ProvidersConfig, deployment: Deployment): ProvidersConfig {
  if (deployment.implicit) return config;
  const own: Record<string, unknown> = { ...config.providers[deployment.provider] };
  if (deployment.baseUrl !== undefined) own['baseUrl'] = deployment.baseUrl;
  // The Cursor adapter's bearer is its `token`; every other provider's is `apiKey`.
  if (deployment.apiKey !== undefined) own['token' in own ? 'token' : 'apiKey'] = deployment.apiKey;
  return { ...config, providers: { ...config.providers, [deployment.provider]: own } };
}
