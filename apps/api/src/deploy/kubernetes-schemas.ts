/**
 * Validates Kubernetes objects against the schemas bundled with `kubernetes-models` (the Kubernetes API's
 * OpenAPI definitions, compiled; offline) and `@kubernetes-models/keda` (KEDA's CRDs): types, required fields,
 * enums and formats. Like those schemas, it does not refuse fields they do not name.
 */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface ModelClass {
  new (data: object): { validate(): void };
}

/** The module of a kind's model: core (`v1`) and grouped APIs from kubernetes-models, KEDA's from its own package. */
function modelModule(apiVersion: string, kind: string): string {
  if (apiVersion.startsWith('keda.sh/')) return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/** The schema problems of an object (empty when valid); an unknown apiVersion/kind is one. */
export function schemaProblems(object: KubernetesObject): string[] {
  let model: ModelClass | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    model = (require(modelModule(object.apiVersion, object.kind)) as Record<string, ModelClass>)[object.kind];
  } catch {
    model = undefined;
  }
  if (!model) return [`${object.apiVersion} ${object.kind}: no schema for this kind`];
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [`${object.kind} ${object.metadata?.name}: ${error instanceof Error ? error.message : String(error)}`];
  }
}
