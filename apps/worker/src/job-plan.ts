import { chatParamsOf, invalidRequest, isEmbeddingsJob, type ChatParams, type EmbeddingsParams, type GatewayJobData } from '@gateway/contracts';
import { estimatePromptTokens } from '@gateway/limits';
import { resolveRoute, servableAttempts, servableEmbeddingAttempts, unservableMessage } from '@gateway/providers';
import { failoverChain, planAttempts, type PlannedAttempt } from '@gateway/resilience';
import { createBusyTracker, type ChoiceContext } from './deployment-choice';
import { planDeployments, type DeploymentPlanConfig } from './deployment-plan';

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

/** A choice among deployments without a tracker of its own (tests): every deployment as busy as the others. */
const unseen: ChoiceContext = { busy: createBusyTracker() };

/**
 * Plans a job: its route, the failover chain, and the attempts whose provider can honour every field of the
 * request (the others are skipped without a call, so their circuits never count it). A chat call goes through
 * the deployments and model groups of GATEWAY_CONFIG_FILE when it declares them (each provider's deployments, or
 * a group's targets); embeddings keep the provider chain (each provider's own endpoint, under its own name).
 * None left: the caller's `invalid_request` naming the field (the API refuses such requests before enqueueing; a
 * worker configured differently still answers the same way).
 */
export function planJob(config: DeploymentPlanConfig, data: GatewayJobData, choice: ChoiceContext = unseen): AnyJobPlan {
  const route = resolveRoute(data.model, { primary: config.llm.provider, defaultModel: config.llm.defaultModel });
  const planned = isEmbeddingsJob(data)
    ? {
        kind: 'embeddings' as const,
        request: data.embeddings,
        ...servableEmbeddingAttempts(planAttempts(route, failoverChain(config)), data.embeddings, route.upstreamModel),
      }
    : {
        kind: 'chat' as const,
        request: chatParamsOf(data),
        ...servableAttempts(planDeployments(config, data.model, choice) ?? planAttempts(route, failoverChain(config)), chatParamsOf(data)),
      };
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
