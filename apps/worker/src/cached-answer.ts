import type { ChatJobResult } from '@gateway/contracts';
import { settleJobCost, type JobBilling } from '@gateway/limits';
import type { Logger, Metrics } from '@gateway/observability';
import type { ChatJob, JobStreamLimits, QueuePrefix, RedisClient } from '@gateway/queue';
import { keepCompletedOutcome } from './kept-outcome';
import type { JobReport } from './job-report';
import { streamSender } from './run-stream';
import { setAsideEmbeddings } from './stored-embeddings';

export interface CachedAnswerDeps {
  publisher: RedisClient;
  prefix: QueuePrefix;
  billing: JobBilling;
  metrics: Pick<Metrics, 'responseCache' | 'responseCacheSavedTokens' | 'jobs'>;
}

/** Where the job's outcome is kept: its vectors and result (seconds), its stream (a resumable job's). */
export interface CachedAnswerKeep {
  ttlSeconds: number;
  stream: JobStreamLimits | undefined;
}

/**
 * Completes a job from the response cache, without a provider call: the answer costs nothing (`cost_usd: 0`), the
 * job's reservation goes back to the budgets (and its batch's cap was never taken), and it counts in its key's usage
 * as a cached request with the tokens and cost it saved, in the metrics, and in the request log. The answer is kept
 * as a call's would be (vectors apart, a kept outcome, a resumable stream's end, which carries the whole answer).
 */
export async function completeFromCache(
  deps: CachedAnswerDeps,
  job: ChatJob & { id: string },
  cached: ChatJobResult,
  keep: CachedAnswerKeep,
  report: JobReport,
  log: Logger,
): Promise<ChatJobResult> {
  const data = job.data;
  const result: ChatJobResult = { ...cached, cost_usd: 0 };
  const apart = setAsideEmbeddings(deps, job.id, result, Math.max(keep.ttlSeconds, data.keep_outcome_seconds ?? 0), log);
  // Nothing settles a cached answer's call: its outcome is kept on its own.
  const keeping = keepCompletedOutcome(deps, job, () => JSON.stringify(apart?.result ?? result), log);
  const kept = keeping && (keeping.written ?? keeping.write());
  const streamed = data.resumable
    ? streamSender(deps, { jobId: job.id, replyTo: data.reply_to, keep: keep.stream })({ kind: 'stream-end', job_id: job.id, seq: 0, result }).catch(
        (error: unknown) => log.warn({ err: error }, 'could not keep the stream end'),
      )
    : undefined;
  const saved = { tokens: cached.usage.total_tokens, costUsd: cached.cost_usd };
  await Promise.all([settleJobCost(deps.billing, { id: job.id, data }, undefined), deps.billing.budget.recordCacheHit(data.key_id, saved)]).catch(
    (error: unknown) => log.error({ err: error }, 'could not release the job reservation or count the cached answer'),
  );
  report.answeredFromCache(result);
  await Promise.all([kept, streamed]);
  deps.metrics.responseCache.inc({ outcome: 'hit' });
  deps.metrics.responseCacheSavedTokens.inc(saved.tokens);
  deps.metrics.jobs.inc({ queue: 'chat', outcome: 'completed' });
  log.info({ model: data.model, savedTokens: saved.tokens, savedUsd: saved.costUsd, outcome: 'completed' }, 'chat job answered from the response cache');
  // The vectors not written apart (Redis trouble): the return value keeps them.
  return apart && (await apart.setApart()) ? apart.result : result;
}
