import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { providerIdSchema, type ProviderId } from '@gateway/contracts';
import { ConfigError } from './settings';

/** A name a deployment, a model group or an alias may have: no spaces, nothing a Redis key or a log line would mangle. */
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/, 'letters, digits and . _ : / @ - (at most 128)');
const limit = z.number().int().positive().optional();

const deploymentSchema = z.strictObject({
  id: name,
  provider: providerIdSchema,
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  /** The name of the variable holding the key: a key itself never sits in the file. */
  api_key_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable (A-Z, 0-9, _), never the key itself')
    .optional(),
  models: z.array(z.string().min(1)).min(1).default(['*']),
  weight: z.number().positive().default(1),
  rpm: limit,
  tpm: limit,
  max_concurrency: limit,
});

const targetSchema = z
  .strictObject({
    deployment: name.optional(),
    provider: providerIdSchema.optional(),
    model: z.string().min(1),
    weight: z.number().positive().default(1),
  })
  .refine((target) => (target.deployment === undefined) !== (target.provider === undefined), 'names a deployment or a provider (one of them)');

const fileSchema = z.strictObject({
  deployments: z.array(deploymentSchema).default([]),
  models: z.record(name, z.strictObject({ targets: z.array(targetSchema).min(1), fallbacks: z.array(z.string().min(1)).default([]) })).default({}),
  aliases: z.record(z.string().min(1), z.string().min(1)).default({}),
  routing: z.enum(['weighted', 'least_busy']).default('weighted'),
  /** The window rpm and tpm count over: a minute, shorter only to test the limits in seconds rather than minutes. */
  window_seconds: z.number().positive().max(3600).default(60),
});

/** One place calls can go: a provider at a base URL with a key, and its share and limits. */
export interface DeploymentConfig {
  readonly id: string;
  readonly provider: ProviderId;
  readonly baseUrl?: string;
  /** The key, read from the variable the file names (never written in the file). */
  readonly apiKey?: string;
  readonly apiKeyVariable?: string;
  /** Globs of the upstream model ids it serves (`*` any run of characters). */
  readonly models: readonly string[];
  readonly weight: number;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly maxConcurrency?: number;
}

export interface ModelTarget {
  readonly deployment?: string;
  readonly provider?: ProviderId;
  readonly model: string;
  readonly weight: number;
}

/** What GATEWAY_CONFIG_FILE declares (empty without one: each provider is then one implicit deployment). */
export interface GatewayFileConfig {
  readonly deployments: readonly DeploymentConfig[];
  readonly models: Readonly<Record<string, { readonly targets: readonly ModelTarget[]; readonly fallbacks: readonly string[] }>>;
  readonly aliases: Readonly<Record<string, string>>;
  readonly routing: 'weighted' | 'least_busy';
  readonly windowMs: number;
}

export const emptyGatewayFile: GatewayFileConfig = { deployments: [], models: {}, aliases: {}, routing: 'weighted', windowMs: 60_000 };

/** `deployments[1].rpm`: the path of an entry as the file's author reads it. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text === '' ? String(part) : `${text}.${String(part)}`), '');
}

function parseText(path: string, text: string): unknown {
  const kind = extname(path).toLowerCase();
  if (kind === '.json') return JSON.parse(text) as unknown;
  if (kind === '.yaml' || kind === '.yml') return parseYaml(text) as unknown;
  throw new Error('must end in .yaml, .yml or .json');
}

/** The cross-entry checks the schema cannot make: unique ids, targets naming a declared deployment, keys that are set. */
function entryProblems(file: z.infer<typeof fileSchema>, environment: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  file.deployments.forEach((deployment, index) => {
    if (ids.has(deployment.id)) problems.push(`deployments[${index}].id: "${deployment.id}" is declared twice`);
    // A provider's implicit deployment, its circuit and its metric series carry the provider's name.
    if (providerIdSchema.safeParse(deployment.id).success) {
      problems.push(`deployments[${index}].id: "${deployment.id}" is a provider's name (its circuit and metrics would be the provider's): choose another`);
    }
    ids.add(deployment.id);
    const variable = deployment.api_key_env;
    if (variable !== undefined && !environment[variable]?.trim()) problems.push(`deployments[${index}].api_key_env: ${variable} is not set`);
  });
  for (const [model, group] of Object.entries(file.models)) {
    group.targets.forEach((target, index) => {
      if (target.deployment !== undefined && !ids.has(target.deployment)) {
        problems.push(`models.${model}.targets[${index}].deployment: no deployment "${target.deployment}"`);
      }
    });
  }
  return problems;
}

/** Reads and checks the file; throws ConfigError naming the variable, the file and the path of each bad entry. */
export function loadGatewayFile(path: string | undefined, environment: Record<string, string | undefined>): GatewayFileConfig {
  if (path === undefined) return emptyGatewayFile;
  const fail = (problems: readonly string[]) => new ConfigError(`GATEWAY_CONFIG_FILE (${path}): ${problems.join('; ')}`);
  let raw: unknown;
  try {
    raw = parseText(path, readFileSync(path, 'utf8'));
  } catch (error) {
    // The first line only: a parser's message goes on to quote the file, which may hold anything.
    const message = (error as { message?: unknown } | null)?.message;
    throw fail([(typeof message === 'string' ? message : String(error)).split('\n')[0]!]);
  }
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw fail(parsed.error.issues.map((issue) => `${pathOf(issue.path) || '(the file)'}: ${issue.message}`));
  const file = parsed.data;
  const problems = entryProblems(file, environment);
  if (problems.length > 0) throw fail(problems);
  return {
    deployments: file.deployments.map((deployment) => ({
      id: deployment.id,
      provider: deployment.provider,
      ...(deployment.base_url !== undefined ? { baseUrl: deployment.base_url.replace(/\/+$/, '') } : {}),
      ...(deployment.api_key_env !== undefined ? { apiKeyVariable: deployment.api_key_env, apiKey: environment[deployment.api_key_env]!.trim() } : {}),
      models: deployment.models,
      weight: deployment.weight,
      ...(deployment.rpm !== undefined ? { rpm: deployment.rpm } : {}),
      ...(deployment.tpm !== undefined ? { tpm: deployment.tpm } : {}),
      ...(deployment.max_concurrency !== undefined ? { maxConcurrency: deployment.max_concurrency } : {}),
    })),
    models: file.models,
    aliases: file.aliases,
    routing: file.routing,
    windowMs: Math.round(file.window_seconds * 1000),
  };
}
