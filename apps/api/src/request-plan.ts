import { GatewayError, invalidRequest, type ChatParams, type EmbeddingsWork } from '@gateway/contracts';
import { servableAttempts, servableEmbeddingAttempts, unservableMessage } from '@gateway/providers';
import { planRequest, type DeploymentPlanConfig, type PlannedAttempt } from '@gateway/resilience';

/**
 * The deployments (providers) and models a request may be served by, as the workers will plan it (the deployments
 * and model groups of GATEWAY_CONFIG_FILE included), less those that cannot honour one of its fields. Throws
 * `invalid_request` naming the field when none can, or `model` when no deployment serves it (before anything is
 * enqueued or reserved). `fieldPrefix` places the field in a larger body (`requests.3.`).
 */
export function servablePlan(
  config: DeploymentPlanConfig,
  request: (ChatParams & { model?: string | undefined }) | EmbeddingsWork,
  fieldPrefix = '',
): PlannedAttempt[] {
  const { attempts, embeddingsModel } = planned(config, request.model ?? config.llm.defaultModel, fieldPrefix);
  const { servable, refused } = isEmbeddingsWork(request)
    ? servableEmbeddingAttempts(attempts, request.embeddings, embeddingsModel)
    : servableAttempts(attempts, request);
  if (servable.length === 0) throw invalidRequest(`${fieldPrefix}${unservableMessage(refused)}`);
  return servable;
}

/** The request's plan; its `invalid_request` (no deployment serves the model) with the field placed in the body. */
function planned(config: DeploymentPlanConfig, model: string, fieldPrefix: string): ReturnType<typeof planRequest> {
  try {
    return planRequest(config, model);
  } catch (error) {
    if (fieldPrefix !== '' && error instanceof GatewayError && error.type === 'invalid_request')
      throw invalidRequest(`${fieldPrefix}${error.message.replace(/^invalid request: /, '')}`);
    throw error;
  }
}

/** Whether the work of an enqueue is embeddings (else a chat request). */
export function isEmbeddingsWork(work: object): work is EmbeddingsWork {
  return 'kind' in work && work.kind === 'embeddings';
}
