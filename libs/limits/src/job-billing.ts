import { batchCostCapReached, type ChatJobData, type ChatJobResult, type ProviderId, type Usage } from '@gateway/contracts';
import { createBoundedLabel, type Metrics } from '@gateway/observability';
import type { BatchCaps } from './batch-cap';
import { tokenCountsOf } from './budget';
import type { Budget, SettleKeep, SettleReply } from './budget';
import type { RequestLogAppend } from './request-log';
import { callCostUsd, type PriceSource } from './pricing';
import type { ProviderPacer } from './provider-pacer';

/** What the worker needs to price, bill and pace jobs. */
export interface JobBilling {
  /** Prices of the calls (the price book, or a table through pricesFromTable). */
  pricing: PriceSource;
  budget: Budget;
  /** Spend counters of batches with max_cost_usd (their requests only). */
  batchCaps: BatchCaps;
  pacer: ProviderPacer;
  metrics?: Pick<Metrics, 'spendUsd' | 'modelTokens' | 'keySpendUsd'>;
}

/** Distinct model label values per process on the spend and token metrics (the ledgers in Redis keep every name). */
const modelLabel = createBoundedLabel(200);
const keyLabel = createBoundedLabel(200);

/** The cost of a provider's answer (see callCostUsd). */
export function priceAnswer(
  billing: Pick<JobBilling, 'pricing'>,
  call: { provider: ProviderId; model: string; usage: Usage; providerCostUsd?: number | null | undefined },
): number {
  return callCostUsd(billing.pricing, call);
}

/** A job as billing sees it; `call`: the id of this run's provider call (see startJobCall), absent: billed once per job. */
export interface BilledJob {
  id: string;
  data: Pick<ChatJobData, 'agent_id' | 'key_id' | 'model' | 'batch_cap' | 'reserved_usd'>;
  call?: string | undefined;
}

/**
 * Notes, before a run of a job calls a provider, that the call is made (budget.startCall), and bills at the job's
 * reservation the calls of earlier runs that no run billed (a worker SIGKILLed mid-call, a run that lost its lock):
 * a provider bills what it generated, and nothing better than the reservation is known of those calls. Each call
 * is billed once, whichever run or takeover gets to it first.
 */
export async function startJobCall(billing: Pick<JobBilling, 'budget'>, job: BilledJob & { call: string }): Promise<{ orphansBilled: number }> {
  const earlier = await billing.budget.startCall(job.id, job.data.key_id, job.call);
  let orphansBilled = 0;
  for (const call of earlier) {
    const { billed } = await billing.budget.settle(
      job.id,
      { costUsd: job.data.reserved_usd ?? 0, agentId: job.data.agent_id, keyId: job.data.key_id, model: job.data.model, provider: 'unknown' },
      undefined,
      call,
    );
    if (billed) orphansBilled += 1;
  }
  return { orphansBilled };
}

/**
 * Settles a chat job's budget when the processor is done with it: a result is billed at its real cost
 * (`result.cost_usd`), once per job id however often the job completes (with `job.call`: once per provider call);
 * no result (failed before a provider could bill anything) releases the job's reservation. A call cut short
 * (cancelled, broken mid-stream) is settled with what it consumed, as a result. `model` is the model the spend is booked under. `reply` goes out with the
 * settlement (one round trip), after the billing, and `logged` (the request's log entry) is appended in it, as
 * `kept` (the job's outcome to keep, standalone Redis only) is written in it before the reply.
 */
export async function settleJobCost(
  billing: JobBilling,
  job: BilledJob,
  outcome: { result: ChatJobResult; model: string } | undefined,
  reply?: SettleReply,
  logged?: RequestLogAppend,
  kept?: SettleKeep,
): Promise<{ billed: boolean }> {
  const cap = job.data.batch_cap;
  if (!outcome) {
    await billing.budget.release(job.id, job.data.key_id, job.call);
    if (cap) await billing.batchCaps.settle(job.id, cap.batch_id, undefined);
    return { billed: false };
  }
  const { result, model } = outcome;
  const { billed } = await billing.budget.settle(
    job.id,
    {
      costUsd: result.cost_usd,
      agentId: job.data.agent_id,
      keyId: job.data.key_id,
      learnModel: job.data.model,
      tokens: tokenCountsOf(result.usage),
      model,
      provider: result.provider,
    },
    reply,
    job.call,
    logged,
    kept,
  );
  // The batch's counter after the budgets: a crash between the two leaves the request reserved in its batch
  // (the cap errs towards stopping early), never billed twice.
  if (cap) await billing.batchCaps.settle(job.id, cap.batch_id, result.cost_usd);
  countSpend(billing, job.data.key_id, result, model, billed);
  return { billed };
}

/** The spend and token metrics of a call billed now. */
function countSpend(billing: JobBilling, keyId: string | undefined, result: ChatJobResult, model: string, billed: boolean): void {
  if (billed && billing.metrics) {
    // Model names come from callers: the label is capped so a flood of names cannot blow up the series count.
    const label = modelLabel(model);
    if (keyId !== undefined) billing.metrics.keySpendUsd.inc({ key: keyLabel(keyId) }, result.cost_usd);
    billing.metrics.spendUsd.inc({ provider: result.provider, model: label }, result.cost_usd);
    billing.metrics.modelTokens.inc({ provider: result.provider, model: label, kind: 'prompt' }, result.usage.prompt_tokens);
    billing.metrics.modelTokens.inc({ provider: result.provider, model: label, kind: 'completion' }, result.usage.completion_tokens);
    const tokens = tokenCountsOf(result.usage);
    if (tokens.cached > 0) billing.metrics.modelTokens.inc({ provider: result.provider, model: label, kind: 'cached' }, tokens.cached);
    if (tokens.reasoning > 0) billing.metrics.modelTokens.inc({ provider: result.provider, model: label, kind: 'reasoning' }, tokens.reasoning);
  }
}

/**
 * Lets a request of a batch with max_cost_usd start (reserving its admission estimate in the batch's counter),
 * or throws `budget_exceeded` when the batch's spend has reached its cap. Requests of other batches and single
 * calls pass without a round trip.
 */
export async function startCappedJob(
  billing: Pick<JobBilling, 'batchCaps'>,
  job: { id: string; data: Pick<ChatJobData, 'batch_cap' | 'reserved_usd'> },
): Promise<void> {
  const cap = job.data.batch_cap;
  if (!cap) return;
  const start = await billing.batchCaps.start(job.id, cap, job.data.reserved_usd ?? 0);
  if (!start.started) throw batchCostCapReached(cap.batch_id, start.capUsd, start.spentUsd, start.inFlightUsd);
}
