import { completionWindowMs, type BatchAccepted } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { BatchCaps } from '@gateway/limits';
import {
  addJobsInChunks,
  batchCallbackWaitMs,
  batchJobId,
  deleteBatch,
  recordBatchCallback,
  removeBatchCallback,
  saveBatch,
  type BatchRecord,
  type CallbackQueue,
  laneMarkOf,
  type LaneQueues,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import type { Admission } from '../admission';
import type { ParsedBatchItem } from '../batch-input';
import { ownerKeyOf, shareWeightOf, limitSubjectOf, type Caller } from '../caller';
import { lanePrioritiesFor } from '../job-priority';
import { jobOrigin, type JobOriginRequest } from './job-origin';
import { toJobData } from './job-payload';
import { enqueueOrUnavailable } from './redis-outage';
import { createUndoStack } from './undo-stack';
import type { CacheFill } from './cache-opt-in';

export interface BatchCreationDeps {
  config: Pick<Config, 'llm' | 'queue' | 'worker'>;
  /** The `bulk` connection's lane queues (one long MULTI or pipeline per chunk): a batch goes into `chat-batch`, whole. */
  queue: LaneQueues;
  redis: RedisClient;
  prefix: QueuePrefix;
  admission: Admission;
  callbacks: CallbackQueue;
  caps: BatchCaps;
}

/** A parsed, checked batch: its requests (each allowed and servable), its options, and who sends it. */
export interface BatchToCreate {
  batchId: string;
  requestId: string;
  caller: Caller;
  items: readonly ParsedBatchItem[];
  callbackUrl: string | undefined;
  completionWindow: string | undefined;
  maxCostUsd: number | undefined;
  /** OpenAI's batch fields: the route its requests were written for, the file they came from, its metadata. */
  endpoint?: string | undefined;
  inputFileId?: string | undefined;
  metadata?: Record<string, string> | null | undefined;
  /** The batch request's route and trace: each of its requests carries them (the request log, traces). */
  origin?: JobOriginRequest;
  /** The response-cache entry each request fills and looks up as it starts (batchCacheFills); none: no cache. */
  cacheFills?: readonly (CacheFill | undefined)[] | undefined;
}

/** How many requests of a batch each agent (undefined: no agent_id) sends: what each agent's bucket gives. */
function requestsPerAgent(items: readonly ParsedBatchItem[]): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>();
  for (const item of items) counts.set(item.request.agent_id, (counts.get(item.request.agent_id) ?? 0) + 1);
  return counts;
}

/**
 * Admits a batch and enqueues its requests, each step beside its undo: the rate limit (one token per request: a
 * key's batch from the key's bucket; without a key, each agent's requests from its own and the whole batch from its
 * caller's), the budget of every request (all or none), the lane's rounds, the batch's record (with its cost cap and
 * its callback, recorded before any request can end), then the jobs. A step that fails undoes the ones before it.
 */
export async function createBatch(deps: BatchCreationDeps, batch: BatchToCreate): Promise<BatchAccepted> {
  const { batchId, caller, items, maxCostUsd, callbackUrl } = batch;
  const keyId = ownerKeyOf(caller);
  const createdAt = Date.now();
  const expiresAt = batch.completionWindow !== undefined ? createdAt + completionWindowMs(batch.completionWindow) : undefined;
  const jobIds = items.map((_, index) => batchJobId(batchId, index));
  // Its requests' ids name the queue every reader looks in (job-ids.ts): a batch id must carry the batch mark.
  if (laneMarkOf(batchId) !== 'batch') throw new Error(`batch ${batchId} has no batch mark in its id`);
  const undo = createUndoStack();

  // Rate tokens are not given back: a refused batch was still a request.
  if (caller.kind === 'key') await deps.admission.checkRate(limitSubjectOf(caller, undefined), items.length);
  else {
    // The caller's tokens are taken with the first agent's, so a refusal there takes nothing.
    let callerTokens = items.length;
    for (const [agentId, count] of requestsPerAgent(items)) {
      await deps.admission.checkRate(limitSubjectOf(caller, agentId), count, callerTokens);
      callerTokens = 0;
    }
  }

  const reserved = await deps.admission.reserveBatch(
    items.map((item) => item.request),
    jobIds,
    limitSubjectOf(caller, undefined),
  );
  undo.push(() => Promise.all(jobIds.map((jobId) => deps.admission.release(jobId, keyId))));

  try {
    const data = items.map((item, index) => ({
      ...toJobData(batch.requestId, item.request, deps.config.llm.defaultModel, { lane: 'batch', responseCache: batch.cacheFills?.[index] }, caller),
      ...jobOrigin(batch.origin ?? {}),
      reserved_usd: reserved[index] ?? 0,
      batch_id: batchId,
      ...(callbackUrl !== undefined ? { batch_callback: true } : {}),
      ...(expiresAt !== undefined ? { expires_at: expiresAt } : {}),
      ...(maxCostUsd !== undefined ? { batch_cap: { batch_id: batchId, max_cost_usd: maxCostUsd } } : {}),
    }));
    // The batch lane, its tenants taking turns (one script for the whole batch).
    const priorities = await enqueueOrUnavailable(() =>
      lanePrioritiesFor(
        deps.redis,
        deps.queue,
        'batch',
        data.map((job, index) => ({ tenant: job.tenant ?? 'anonymous', priority: items[index]!.request.priority, weight: shareWeightOf(caller) })),
      ),
    );

    const record: BatchRecord = {
      batchId,
      total: items.length,
      createdAt,
      customIds: items.map((item) => item.customId ?? ''),
      keyId,
      callbackUrl,
      expiresAt,
      endpoint: batch.endpoint,
      inputFileId: batch.inputFileId,
      completionWindow: batch.completionWindow,
      metadata: batch.metadata ?? undefined,
    };
    await enqueueOrUnavailable(async () => {
      await saveBatch(deps.redis, deps.prefix, record, deps.config.queue.retentionSeconds);
      if (maxCostUsd !== undefined) await deps.caps.open(batchId, maxCostUsd);
      // Before any request can end: whoever ends the batch only makes this due (libs/queue batch-callback.ts).
      if (callbackUrl)
        await recordBatchCallback(deps.callbacks, batchId, callbackUrl, batchCallbackWaitMs(record, createdAt, deps.config.worker.lockDurationMs));
    });
    undo.push(async () => {
      if (callbackUrl) await removeBatchCallback(deps.callbacks, batchId).catch(() => undefined);
      await deleteBatch(deps.redis, deps.prefix, record);
    });

    // MULTI chunks sent back to back; a failed chunk takes the batch's unstarted jobs back out itself.
    const jobs = data.map((job, index) => ({
      name: 'batch',
      data: job,
      opts: { jobId: jobIds[index]!, ...(priorities[index] !== undefined ? { priority: priorities[index] } : {}) },
    }));
    await enqueueOrUnavailable(() => addJobsInChunks(deps.queue.lanes.batch, jobs));
  } catch (error) {
    return undo.unwind(error);
  }
  return { batch_id: batchId, total: items.length, job_ids: jobIds };
}
