import { invalidRequest, type ChatJobData, type ChatParams } from '@gateway/contracts';
import { chatParamsOf } from '@gateway/contracts';
import { resolveRoute, servableAttempts, unservableMessage } from '@gateway/providers';
import { failoverChain, planAttempts, type PlannedAttempt } from '@gateway/resilience';
import { createBusyTracker, type ChoiceContext } from './deployment-choice';
import { planDeployments, type DeploymentPlanConfig } from './deployment-plan';

/** What a job asks of the providers, and which of them may be asked. */
export interface JobPlan {
  /** The providers to try, in order, each with its model: the failover chain less those that cannot honour the request. */
  attempts: PlannedAttempt[];
  /** The chat parameters every attempt sends (each with its own model). */
  request: ChatParams;
  /** The model asked of a provider that served: what the call is priced and booked under. */
  servedModel(provider: PlannedAttempt['provider']): string;
}

/** A choice among deployments without a tracker of its own (tests): every deployment as busy as the others. */
const unseen: ChoiceContext = { busy: createBusyTracker() };

/**
 * Plans a job: its route, the failover chain (each provider's deployments, or a model group of GATEWAY_CONFIG_FILE),
 * and the attempts whose provider can honour every field of the request (the others are skipped without a call, so
 * their circuits never count it). None left: the caller's `invalid_request` naming the field (the API refuses such
 * requests before enqueueing; a worker configured differently still answers the same way).
 */
export function planJob(config: DeploymentPlanConfig, data: ChatJobData, choice: ChoiceContext = unseen): JobPlan {
  const route = resolveRoute(data.model, { primary: config.llm.provider, defaultModel: config.llm.defaultModel });
  const request = chatParamsOf(data);
  const planned = planDeployments(config, data.model, choice) ?? planAttempts(route, failoverChain(config));
  const { servable, refused } = servableAttempts(planned, request);
  if (servable.length === 0) throw invalidRequest(unservableMessage(refused));
  return {
    attempts: servable,
    request,
    servedModel: (provider) => servable.find((attempt) => attempt.provider === provider)?.model ?? route.upstreamModel,
  };
}
