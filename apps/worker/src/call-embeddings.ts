import { upstreamFailure, type ChatJobResult, type EmbeddingVector, type EmbeddingsParams } from '@gateway/contracts';
import type { ProvidersConfig, ProviderEmbedResult } from '@gateway/providers';
import { embedBatchSize } from '@gateway/providers';
import { deploymentOf, withFailover, type FailoverHooks, type PlannedAttempt } from '@gateway/resilience';
import type { CallMeter } from './call-meter';
import type { CallDeps } from './call-providers';
import type { JobPlan } from './job-plan';
import { observeProviderCall } from './provider-call';

/** Parts of one embeddings request sent to a provider at once (the rest wait for a free place). */
const PARTS_IN_FLIGHT = 4;

/** The inputs cut into parts of at most `size`, in order. */
export function partsOf<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += size) parts.push(items.slice(start, start + size));
  return parts;
}

/** Runs `run` over every part, `limit` at a time, results in part order; the first failure aborts the rest and is thrown. */
async function eachPart<T, R>(parts: readonly T[], limit: number, signal: AbortSignal, run: (part: T, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const results = new Array<R>(parts.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (next < parts.length && !failure) {
      const index = next++;
      try {
        results[index] = await run(parts[index]!, controller.signal);
      } catch (error) {
        // The first failure is the request's: the parts still running are cut, their errors are theirs.
        if (!failure) failure = { error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, parts.length) }, lane));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.error;
  return results;
}

/**
 * One provider's whole answer to an embeddings request: its inputs split into the provider's batch size, the parts
 * called (a few at once) and joined in input order. One part failing fails the attempt as a whole (the others are
 * cut): failover then tries the next provider for every input, so a request never mixes two providers' vectors nor
 * returns a partial list.
 */
async function embedAll(deps: CallDeps & { config: ProvidersConfig }, attempt: PlannedAttempt, request: EmbeddingsParams, signal: AbortSignal) {
  // The deployment's adapter (its base URL and key), as a chat call's: a provider's own only without deployments.
  const adapter = deps.registry.get(deploymentOf(attempt));
  if (!adapter.embed) throw upstreamFailure(attempt.provider, 'has no embeddings');
  const embed = adapter.embed.bind(adapter);
  const parts = partsOf(request.input, embedBatchSize(attempt.provider, deps.config));
  const answers = await eachPart(parts, PARTS_IN_FLIGHT, signal, async (input, partSignal): Promise<ProviderEmbedResult> => {
    const call = { provider: attempt.provider, modelLabel: deps.modelLabel(attempt.model), startedAt: performance.now() };
    try {
      const answer = await embed({ ...request, input, model: attempt.model }, partSignal);
      observeProviderCall(deps.metrics, call);
      return answer;
    } catch (error) {
      observeProviderCall(deps.metrics, call, error);
      throw error;
    }
  });
  const vectors: EmbeddingVector[] = [];
  let promptTokens = 0;
  let costUsd: number | null = 0;
  for (const answer of answers) {
    vectors.push(...answer.vectors);
    promptTokens += answer.promptTokens;
    // The provider's own cost only when every part gave one; else the whole is priced from its tokens.
    costUsd = costUsd !== null && answer.costUsd !== null ? costUsd + answer.costUsd : null;
  }
  return { vectors, promptTokens, costUsd, model: answers[0]?.model ?? attempt.model };
}

/**
 * Calls the planned providers for an embeddings job, with failover, until one embeds every input. The result has
 * the chat result's shape (empty content, prompt tokens only) with the vectors in `embeddings`, so settlement,
 * usage and the job's end read it as they read a chat result.
 */
export async function callEmbeddings(
  deps: CallDeps & { config: ProvidersConfig },
  plan: JobPlan<EmbeddingsParams>,
  signal: AbortSignal,
  hooks: FailoverHooks,
  meter?: CallMeter,
): Promise<{ result: ChatJobResult; attempts: number }> {
  const outcome = await withFailover(
    plan.attempts,
    (attempt) => {
      meter?.begin(attempt.provider, plan.servedModel(attempt.provider));
      return embedAll(deps, attempt, plan.request, signal);
    },
    hooks,
  );
  const answer = outcome.value;
  const usage = { prompt_tokens: answer.promptTokens, completion_tokens: 0, total_tokens: answer.promptTokens };
  const costUsd = deps.price({ provider: outcome.provider, model: plan.servedModel(outcome.provider), usage, providerCostUsd: answer.costUsd });
  return {
    result: { content: '', model: answer.model, provider: outcome.provider, usage, cost_usd: costUsd, finish_reason: null, embeddings: answer.vectors },
    attempts: outcome.failures.length + 1,
  };
}
