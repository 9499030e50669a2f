import { invalidRequest, type ChatParams, type EmbeddingsWork } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { resolveRoute, servableAttempts, servableEmbeddingAttempts, unservableMessage } from '@gateway/providers';
import { failoverChain, planAttempts, type PlannedAttempt } from '@gateway/resilience';

/**
 * The providers (and models) a request may be served by, as the workers will plan it, less those that cannot
 * honour one of its fields. Throws `invalid_request` naming the field when none can (before anything is enqueued
 * or reserved). `fieldPrefix` places the field in a larger body (`requests.3.`).
 */
export function servablePlan(
  config: Pick<Config, 'llm' | 'providers'>,
  request: (ChatParams & { model?: string | undefined }) | EmbeddingsWork,
  fieldPrefix = '',
): PlannedAttempt[] {
  const route = resolveRoute(request.model ?? config.llm.defaultModel, { primary: config.llm.provider, defaultModel: config.llm.defaultModel });
  const attempts = planAttempts(route, failoverChain(config));
  const { servable, refused } = isEmbeddingsWork(request)
    ? servableEmbeddingAttempts(attempts, request.embeddings, route.upstreamModel)
    : servableAttempts(attempts, request);
  if (servable.length === 0) throw invalidRequest(`${fieldPrefix}${unservableMessage(refused)}`);
  return servable;
}

/** Whether the work of an enqueue is embeddings (else a chat request). */
export function isEmbeddingsWork(work: object): work is EmbeddingsWork {
  return 'kind' in work && work.kind === 'embeddings';
}
