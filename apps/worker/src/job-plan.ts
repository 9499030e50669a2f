import { chatParamsOf, invalidRequest, isEmbeddingsJob, type ChatParams, type EmbeddingsParams, type GatewayJobData } from '@gateway/contracts';
import { estimateEmbeddingTokens, estimatePromptTokens } from '@gateway/limits';
import { servableAttempts, servableEmbeddingAttempts, unservableMessage } from '@gateway/providers';
import { planRequest, type ChoiceContext, type DeploymentPlanConfig, type PlannedAttempt } from '@gateway/resilience';

/** What a job asks of the providers, and which of them may be asked. */
export interface JobPlan<Request = ChatParams> {
  /** The providers to try, in order, each with its model: the failover chain less those that cannot honour the request. */
  attempts: PlannedAttempt[];
  /** The parameters every attempt sends (each with its own model). */
  request: Request;
  /** The model asked of a provider that served: what the call is priced and booked under. */
  servedModel(provider: PlannedAttempt['provider']): string;
}

/** A job's plan, by what it asks: a chat call or embeddings. */
export type AnyJobPlan = ({ kind: 'chat' } & JobPlan<ChatParams>) | ({ kind: 'embeddings' } & JobPlan<EmbeddingsParams>);

/**
 * Plans a job: its route, the failover chain, and the attempts whose provider can honour every field of the
 * request (the others are skipped without a call, so their circuits never count it). Chat calls and embeddings go
 * through the deployments and model groups of GATEWAY_CONFIG_FILE when it declares them (each provider's
 * deployments, or a group's targets), as the API checked and priced them (planRequest).
 * None left: the caller's `invalid_request` naming the field (the API refuses such requests before enqueueing; a
 * worker configured differently still answers the same way).
 */
export function planJob(config: DeploymentPlanConfig, data: GatewayJobData, choice?: ChoiceContext): AnyJobPlan {
  const { route, attempts, embeddingsModel } = planRequest(config, data.model, choice);
  const planned = isEmbeddingsJob(data)
    ? { kind: 'embeddings' as const, request: data.embeddings, ...servableEmbeddingAttempts(attempts, data.embeddings, embeddingsModel) }
    : { kind: 'chat' as const, request: chatParamsOf(data), ...servableAttempts(attempts, chatParamsOf(data)) };
  const { servable, refused } = planned;
  if (servable.length === 0) throw invalidRequest(unservableMessage(refused));
  const servedModel = (provider: PlannedAttempt['provider']) => servable.find((attempt) => attempt.provider === provider)?.model ?? route.upstreamModel;
  return planned.kind === 'embeddings'
    ? { kind: 'embeddings', attempts: servable, request: planned.request, servedModel }
    : { kind: 'chat', attempts: servable, request: planned.request, servedModel };
}

/** The prompt tokens a plan's request is guessed to take (for a chat call cut before the provider said). */
export function estimatedPromptTokens(plan: AnyJobPlan): number {
  return plan.kind === 'chat' ? estimatePromptTokens(plan.request) : 0;
}

/**
 * The tokens a plan's call is guessed to take of a deployment's tokens per minute until it answers: a chat call's
 * prompt and the most it may generate (`max_tokens`, else `defaultMaxTokens`), embeddings' inputs.
 */
export function capacityTokens(plan: AnyJobPlan, defaultMaxTokens: number): number {
  return plan.kind === 'chat'
    ? estimatePromptTokens(plan.request) + (plan.request.max_tokens ?? defaultMaxTokens)
    : estimateEmbeddingTokens(plan.request.input);
}
