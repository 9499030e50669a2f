import type { ChatParams, EmbeddingsParams, ProviderId } from '@gateway/contracts';
import type { ProvidersConfig } from './definition';
import { definitionOf } from './definitions';

/**
 * The field of `request` that `provider` cannot honour, or undefined when it can serve the request. A provider that
 * cannot honour a field is skipped by failover (no call, nothing counted against its circuit); a request no provider
 * of its plan can honour is a 400 naming the field.
 */
export function unsupportedField(provider: ProviderId, request: ChatParams): string | undefined {
  return definitionOf(provider).capabilities(request);
}

/** A planned attempt's provider could not honour a field of the request. */
export interface RefusedAttempt<T> {
  attempt: T;
  field: string;
}

/** Splits a failover plan into the attempts whose provider can honour the request and those that cannot (with the field). */
export function servableAttempts<T extends { provider: ProviderId }>(plan: readonly T[], request: ChatParams): { servable: T[]; refused: RefusedAttempt<T>[] } {
  const servable: T[] = [];
  const refused: RefusedAttempt<T>[] = [];
  for (const attempt of plan) {
    const field = unsupportedField(attempt.provider, request);
    if (field === undefined) servable.push(attempt);
    else refused.push({ attempt, field });
  }
  return { servable, refused };
}

/** The message of the 400 for a request no provider of its plan can honour: `<field>: not supported by <providers>`. */
export function unservableMessage(refused: readonly RefusedAttempt<{ provider: ProviderId }>[]): string {
  const field = refused[0]?.field ?? '(body)';
  return `${field}: not supported by ${refused.map((entry) => entry.attempt.provider).join(', ')}`;
}

/** The field of an embeddings request `provider` cannot honour: `embeddings` for a provider that has none, else its own refusal. */
export function unsupportedEmbeddingsField(provider: ProviderId, request: EmbeddingsParams): string | undefined {
  const { embeddings } = definitionOf(provider);
  if (!embeddings) return 'embeddings';
  return embeddings.refuses?.(request);
}

/**
 * servableAttempts for an embeddings request: a provider without embeddings, one refusing a field, and one that would be
 * asked for another model than the one named (a fallback's default model: its vectors live in another space) are left
 * out. `requestedModel` is the route's upstream model; undefined: any (a model group's targets, chosen by the operator).
 */
export function servableEmbeddingAttempts<T extends { provider: ProviderId; model: string }>(
  plan: readonly T[],
  request: EmbeddingsParams,
  requestedModel: string | undefined,
): { servable: T[]; refused: RefusedAttempt<T>[] } {
  const servable: T[] = [];
  const refused: RefusedAttempt<T>[] = [];
  for (const attempt of plan) {
    const sameModel = requestedModel === undefined || attempt.model === requestedModel || requestedModel.endsWith(`/${attempt.model}`);
    const field = unsupportedEmbeddingsField(attempt.provider, request) ?? (sameModel ? undefined : 'model');
    if (field === undefined) servable.push(attempt);
    else refused.push({ attempt, field });
  }
  return { servable, refused };
}

/** The most inputs one upstream embeddings call of `provider` takes (its batch size setting). */
export function embedBatchSize(provider: ProviderId, config: ProvidersConfig): number {
  return definitionOf(provider).embeddings?.batchSize(config) ?? 1;
}
