import { z } from 'zod';

/** Thrown when the environment is wrong; its message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** One value of a configuration: the environment variable it is read from and the zod schema that parses it. */
export interface Setting<Variable extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly variable: Variable;
  readonly schema: Schema;
}

/** A configuration's shape: settings nested under the names the apps read them by. */
export interface SettingsShape {
  readonly [name: string]: Setting | SettingsShape;
}

export function setting<const Variable extends string, Schema extends z.ZodType>(variable: Variable, schema: Schema): Setting<Variable, Schema> {
  return { variable, schema };
}

function isSetting(node: Setting | SettingsShape): node is Setting {
  return typeof node.variable === 'string';
}

type Frozen<T> = T extends readonly (infer Item)[] ? readonly Item[] : T extends object ? Readonly<T> : T;

/** The parsed configuration of a shape (a homomorphic mapped type: each field keeps its setting's doc comment). */
export type SettingsOf<Shape> = {
  readonly [Name in keyof Shape]: Shape[Name] extends Setting<string, infer Schema> ? Frozen<z.output<Schema>> : SettingsOf<Shape[Name]>;
};

type LeafOf<Node> = Node extends Setting ? Node : Node extends SettingsShape ? { [Name in keyof Node]: LeafOf<Node[Name]> }[keyof Node] : never;

/** The flat shape of a configuration's variables: variable name → its schema. */
export type EnvironmentShape<Shape> = {
  [Leaf in LeafOf<Shape> as Leaf extends Setting<infer Variable> ? Variable : never]: Leaf extends Setting<string, infer Schema> ? Schema : never;
};

function eachSetting(shape: SettingsShape, visit: (leaf: Setting, path: readonly string[]) => void, path: readonly string[] = []): void {
  for (const [name, node] of Object.entries(shape)) {
    if (isSetting(node)) visit(node, [...path, name]);
    else eachSetting(node, visit, [...path, name]);
  }
}

/** The one zod object of a shape's variables, in the shape's order: its issues name the variable at fault. */
export function environmentSchemaOf<const Shape extends SettingsShape>(shape: Shape): z.ZodObject<Extract<EnvironmentShape<Shape>, z.core.$ZodShape>> {
  const variables: Record<string, z.ZodType> = {};
  eachSetting(shape, (leaf, path) => {
    if (leaf.variable in variables) throw new Error(`${leaf.variable} is read twice (again at ${path.join('.')})`);
    variables[leaf.variable] = leaf.schema;
  });
  return z.object(variables) as unknown as z.ZodObject<Extract<EnvironmentShape<Shape>, z.core.$ZodShape>>;
}

/**
 * Where a setting's raw value comes from, given the setting and its path in the shape (`['worker', 'concurrency']`).
 * Today the environment; a configuration file slots in here as `environment[variable] ?? valueAt(file, path)`.
 */
export type SettingSource = (leaf: Setting, path: readonly string[]) => unknown;

export function environmentSource(environment: Record<string, string | undefined>): SettingSource {
  return (leaf) => environment[leaf.variable];
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`).join('; ');
}

/**
 * Reads every setting of `shape` from `source`, parses them with `schema` (environmentSchemaOf(shape)) and nests the
 * values under the shape's names. Throws ConfigError naming every bad variable.
 */
export function readSettings<Shape extends SettingsShape>(shape: Shape, schema: z.ZodObject, source: SettingSource): SettingsOf<Shape> {
  const raw: Record<string, unknown> = {};
  eachSetting(shape, (leaf, path) => {
    const value = source(leaf, path);
    if (value !== undefined) raw[leaf.variable] = value;
  });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(parsed.error.issues)}`);
  const values: Record<string, unknown> = parsed.data;
  const nest = (node: SettingsShape): Record<string, unknown> =>
    Object.fromEntries(Object.entries(node).map(([name, child]) => [name, isSetting(child) ? values[child.variable] : nest(child)]));
  return nest(shape) as SettingsOf<Shape>;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
