import type { ChatJobResult, ProviderId } from '@gateway/contracts';
import type { Metrics } from '@gateway/observability';
import type { ProviderChatResult, ProviderRegistry } from '@gateway/providers';
import { deploymentOf, withFailover, type FailoverHooks } from '@gateway/resilience';
import type { CallMeter, PriceCall } from './call-meter';
import type { JobPlan } from './job-plan';
import { observeProviderCall } from './provider-call';

export interface CallDeps {
  registry: ProviderRegistry;
  metrics: Pick<Metrics, 'providerRequestDuration' | 'providerRequests'>;
  modelLabel: (model: string) => string;
  price: PriceCall;
}

/** A job's result from a provider's answer. */
export function toJobResult(answer: ProviderChatResult, provider: ProviderId, costUsd: number): ChatJobResult {
  return {
    content: answer.content,
    model: answer.model,
    provider,
    usage: answer.usage,
    cost_usd: costUsd,
    finish_reason: answer.finishReason,
    ...(answer.toolCalls.length > 0 ? { tool_calls: answer.toolCalls } : {}),
    ...(answer.logprobs ? { logprobs: answer.logprobs } : {}),
    ...(answer.reasoningBlocks && answer.reasoningBlocks.length > 0 ? { reasoning_blocks: answer.reasoningBlocks } : {}),
  };
}

/** Calls the planned providers with failover until one answers; the result is priced under the model asked of it. */
export async function callProviders(
  deps: CallDeps,
  plan: JobPlan,
  signal: AbortSignal,
  hooks: FailoverHooks,
  meter?: CallMeter,
): Promise<{ result: ChatJobResult; attempts: number }> {
  const outcome = await withFailover(
    plan.attempts,
    async (attempt) => {
      const call = { provider: attempt.provider, modelLabel: deps.modelLabel(attempt.model), startedAt: performance.now() };
      try {
        meter?.begin(attempt.provider, plan.servedModel(attempt.provider));
        const answer = await deps.registry.get(deploymentOf(attempt)).chat({ ...plan.request, model: attempt.model }, signal);
        observeProviderCall(deps.metrics, call);
        return answer;
      } catch (error) {
        observeProviderCall(deps.metrics, call, error);
        throw error;
      }
    },
    hooks,
  );
  const answer = outcome.value;
  const costUsd = deps.price({ provider: outcome.provider, model: plan.servedModel(outcome.provider), usage: answer.usage, providerCostUsd: answer.costUsd });
  return { result: toJobResult(answer, outcome.provider, costUsd), attempts: outcome.failures.length + 1 };
}
