import express, { Router } from 'express';
import { GatewayError, IDEMPOTENCY_WINDOW_SECONDS, idempotencyConflict, jobStatusSchema, notFound, type BatchAccepted, type BatchResult, type BatchView, type JobStatus } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { createBatchCaps } from '@gateway/limits';
import type { Logger } from '@gateway/observability';
import { addJobsInChunks, batchJobId, claimBatch, deleteBatch, releaseBatchClaim, isGatewayBatchId, loadBatch, readJobViews, saveBatch, type ChatQueue, type RedisClient } from '@gateway/queue';
import { parseBatchBody, parseBatchMaxCost, type ParsedBatchItem } from '../batch-input';
import type { Admission } from '../admission';
import { assertMayAccess, assertModelAllowed, callerOf, ownerKeyOf, tenantOf } from '../caller';
import { idempotentRequestOf, workIdFor } from '../idempotency';
import { enqueueOrUnavailable, toChatJobData } from '../job-data';
import { jobPriority } from '../job-priority';
import { servablePlan } from '../request-plan';

/** What the batch routes need. */
export interface BatchRouteDeps {
  config: Pick<Config, 'llm' | 'queue' | 'jobs' | 'providers'>;
  queue: ChatQueue;
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  /** A batch takes one rate-limit token per request from its agent's bucket and reserves the budget of every request. */
  admission: Admission;
}

// No text/plain: a page can send it cross-site without a preflight (refused with 415 before any route).
const jsonLinesTypes = ['application/jsonl', 'application/x-ndjson', 'application/x-jsonlines', 'application/jsonlines'];

const priorityOption = (priority: number | undefined) => (priority !== undefined ? { priority } : {});

/** How many requests of a batch each agent (undefined: no agent_id) sends: what each agent's bucket gives. */
function requestsPerAgent(items: readonly ParsedBatchItem[]): Map<string | undefined, number> {
  const counts = new Map<string | undefined, number>();
  for (const item of items) counts.set(item.request.agent_id, (counts.get(item.request.agent_id) ?? 0) + 1);
  return counts;
}

/** Batch routes carry their own body parsers: a batch may be far larger than a chat request. */
export function batchRoutes(deps: BatchRouteDeps): Router {
  const router = Router();
  const limit = deps.config.jobs.batchBodyLimitBytes;
  // Spend counters of batches with max_cost_usd (the limits' keys, under the plain prefix).
  const caps = createBatchCaps({ redis: deps.redis, prefix: deps.config.queue.prefix, ttlSeconds: deps.config.queue.retentionSeconds });

  router.post(
    '/v1/batches',
    express.json({ limit, strict: false, type: ['application/json', 'application/*+json'] }),
    express.text({ limit, type: jsonLinesTypes }),
    async (req, res) => {
      const started = performance.now();
      const items = parseBatchBody(req.body, deps.config.jobs.batchMaxRequests);
      const maxCostUsd = parseBatchMaxCost(req.body, req.query['max_cost_usd']);
      const caller = callerOf(req);
      // A model outside the key's allow-list (403) or a request no provider can honour (400) fails the whole batch,
      // naming the request, before anything is reserved.
      items.forEach((item, index) => {
        try {
          assertModelAllowed(caller, item.request.model ?? deps.config.llm.defaultModel);
        } catch (error) {
          throw new GatewayError('forbidden', `requests.${index}: ${(error as Error).message}`);
        }
        servablePlan(deps.config, item.request, `requests.${index}.`);
      });
      const idempotent = idempotentRequestOf(req, '/v1/batches');
      const batchId = workIdFor(req, idempotent, 'batch');
      if (idempotent) {
        // One SET NX claims the batch id: a duplicate gets the first request's answer, another body a 409.
        // The cap may come as a query parameter: part of what the key names.
        const claim = `${idempotent.requestHash}:${items.length}:${maxCostUsd ?? ''}`;
        const existing = await enqueueOrUnavailable(() => claimBatch(deps.redis, deps.prefix, batchId, claim, IDEMPOTENCY_WINDOW_SECONDS));
        if (existing !== undefined) {
          deps.admission.countKeyed(existing === claim ? 'joined' : 'conflict');
          if (existing !== claim) throw idempotencyConflict(batchId);
          const accepted: BatchAccepted = { batch_id: batchId, total: items.length, job_ids: items.map((_, index) => batchJobId(batchId, index)) };
          res.status(202).setHeader('location', `/v1/batches/${batchId}`).json(accepted);
          return;
        }
      }
      // Admits (rate, budget) and enqueues the batch, then answers 202; a keyed batch refused gives its claim back.
      const enqueueBatch = async () => {
        const createdAt = Date.now();
        const keyId = ownerKeyOf(caller);
        // One token per request: a key's batch from the key's bucket; without a key, each agent's requests from its own.
        if (caller.kind === 'key') await deps.admission.checkRate(tenantOf(caller, undefined), items.length);
        else for (const [agentId, count] of requestsPerAgent(items)) await deps.admission.checkRate({ agentId }, count);
        const jobIds = items.map((_, index) => batchJobId(batchId, index));
        const releaseAll = () => Promise.all(jobIds.map((jobId) => deps.admission.release(jobId, keyId).catch(() => undefined)));
        // Every request's budget reserved, all or none (a refused batch keeps no reservation).
        const reserved = await deps.admission.reserveBatch(
          items.map((item) => item.request),
          jobIds,
          tenantOf(caller, undefined),
        );
        const batchCap = maxCostUsd !== undefined ? { batch_cap: { batch_id: batchId, max_cost_usd: maxCostUsd } } : {};
        const jobs = items.map((item, index) => ({
          name: 'chat',
          data: { ...toChatJobData(req.id, item.request, deps.config.llm.defaultModel, {}, caller), reserved_usd: reserved[index] ?? 0, ...batchCap },
          opts: { jobId: jobIds[index]!, ...priorityOption(jobPriority('batch', item.request.priority)) },
        }));
        const parsedMs = performance.now() - started;
        await enqueueOrUnavailable(async () => {
          await saveBatch(deps.redis, deps.prefix, { batchId, total: items.length, createdAt, customIds: items.map((item) => item.customId ?? ''), keyId }, deps.config.queue.retentionSeconds);
          if (maxCostUsd !== undefined) await caps.open(batchId, maxCostUsd);
        }).catch(async (error: unknown) => {
          await releaseAll();
          throw error;
        });
        try {
          // MULTI chunks sent back to back; a failed chunk takes the batch's unstarted jobs back out.
          await enqueueOrUnavailable(() => addJobsInChunks(deps.queue, jobs));
        } catch (error) {
          await deleteBatch(deps.redis, deps.prefix, batchId).catch(() => undefined);
          await releaseAll();
          throw error;
        }
        deps.logger.info({ requestId: req.id, batchId, total: items.length, parseMs: Math.round(parsedMs), enqueueMs: Math.round(performance.now() - started - parsedMs) }, 'batch enqueued');
        const accepted: BatchAccepted = { batch_id: batchId, total: items.length, job_ids: jobs.map((job) => job.opts.jobId) };
        res.status(202).setHeader('location', `/v1/batches/${batchId}`).json(accepted);
      };
      if (idempotent) deps.admission.countKeyed('created');
      try {
        await enqueueBatch();
      } catch (error) {
        if (idempotent) await releaseBatchClaim(deps.redis, deps.prefix, batchId).catch(() => undefined);
        throw error;
      }
    },
  );

  router.get('/v1/batches/:id', async (req, res) => {
    const batchId = req.params.id;
    // Another key's batch is not there for this caller.
    if (isGatewayBatchId(batchId)) assertMayAccess(callerOf(req), batchId, 'batch');
    const record = isGatewayBatchId(batchId) ? await loadBatch(deps.redis, deps.prefix, batchId) : undefined;
    if (!record) throw notFound('batch', batchId, { retained: true });
    const withResults = req.query['results'] === 'true' || req.query['results'] === '1';
    const jobIds = Array.from({ length: record.total }, (_, index) => batchJobId(batchId, index));
    const [views, spend] = await Promise.all([readJobViews(deps.redis, deps.queue, deps.prefix, jobIds, withResults), caps.spend(batchId)]);
    const counts = Object.fromEntries(jobStatusSchema.options.map((status) => [status, 0])) as Record<JobStatus, number>;
    let budgetExceeded = 0;
    const results: BatchResult[] = [];
    views.forEach((found, index) => {
      const jobId = jobIds[index]!;
      const view = found ?? { job_id: jobId, status: 'failed' as const, error: { type: 'not_found' as const, message: 'the job is no longer kept' } };
      counts[view.status] += 1;
      if (view.error?.type === 'budget_exceeded') budgetExceeded += 1;
      if (withResults) {
        const customId = record.customIds[index];
        results.push({ ...(customId ? { custom_id: customId } : {}), ...view });
      }
    });
    const body: BatchView = {
      batch_id: batchId,
      total: record.total,
      created_at: record.createdAt,
      counts,
      budget_exceeded: budgetExceeded,
      ...(spend ? { max_cost_usd: spend.capUsd, spent_usd: spend.spentUsd } : {}),
      done: counts.queued === 0 && counts.active === 0,
      ...(withResults ? { results } : {}),
    };
    res.json(body);
  });

  return router;
}
