import type { Request } from 'express';
import { batchRequestRefused, IDEMPOTENCY_WINDOW_SECONDS, idempotencyConflict } from '@gateway/contracts';
import { claimBatch, releaseBatchClaim } from '@gateway/queue';
import type { Config } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import type { ParsedBatchItem } from './batch-input';
import { assertModelAllowed, callerOf } from './caller';
import { batchCacheFills, createBatch, enqueueOrUnavailable, type BatchCacheChoice, type BatchCreationDeps, type BatchToCreate } from './enqueue';
import { withModelAlias } from './enqueue/model-alias';
import { idempotentRequestOf, workIdFor } from './idempotency';
import { servablePlan } from './request-plan';

/** What starting a batch needs: what creating one needs, and a logger. */
export interface BatchStartDeps extends BatchCreationDeps {
  config: BatchCreationDeps['config'] & Pick<Config, 'providers' | 'responseCache'>;
  logger: Logger;
}

/** A batch read from its body (any dialect's), with what identifies its request under an Idempotency-Key. */
export interface BatchToStart {
  /** The route, for the request hash (the same key on another route is another batch's). */
  route: string;
  items: readonly ParsedBatchItem[];
  /** What the request hash covers, given the requests with their aliases resolved. */
  hashed: (items: readonly ParsedBatchItem[]) => unknown;
  /** Its options as createBatch takes them. */
  options: Omit<BatchToCreate, 'batchId' | 'requestId' | 'caller' | 'items' | 'origin' | 'cacheFills'>;
  /** What opts its requests in to the response cache (none: only their kind's default, embeddings). */
  cache?: Pick<BatchCacheChoice, 'header' | 'batch'>;
  /** When its body was read from (performance.now()), for the log. */
  startedMs: number;
}

/** A batch started, or the one its Idempotency-Key already made (joined: nothing was created). */
export interface StartedBatch {
  batchId: string;
  items: readonly ParsedBatchItem[];
  joined: boolean;
}

/**
 * Starts a batch of any dialect on the one batch engine: model aliases resolve per request; a model outside the
 * key's allow-list (403) or a request no provider can honour (400) refuses the whole batch, naming the request,
 * before anything is reserved; under an Idempotency-Key one SET NX claims the batch id (a duplicate joins the first
 * request's batch, another body with the same key is a 409); then createBatch admits and enqueues it (the batch
 * lane, fair share, max_cost_usd, the completion window). A refused batch gives its claim back.
 */
export async function startBatch(deps: BatchStartDeps, req: Request, batch: BatchToStart): Promise<StartedBatch> {
  const caller = callerOf(req);
  const items = batch.items.map((item) => ({ ...item, request: withModelAlias(deps.config.llm.modelAliases, item.request) }));
  items.forEach((item, index) => {
    try {
      assertModelAllowed(caller, item.request.model ?? deps.config.llm.defaultModel);
    } catch (error) {
      throw batchRequestRefused('forbidden', index, (error as Error).message);
    }
    servablePlan(deps.config, item.request, `requests.${index}.`);
  });
  const idempotent = idempotentRequestOf(req, batch.route, batch.hashed(items));
  const batchId = workIdFor(req, idempotent, 'batch');
  if (idempotent) {
    const claim = `${idempotent.requestHash}:${items.length}`;
    const existing = await enqueueOrUnavailable(() => claimBatch(deps.redis, deps.prefix, batchId, claim, IDEMPOTENCY_WINDOW_SECONDS));
    if (existing !== undefined) {
      deps.admission.countKeyed(existing === claim ? 'joined' : 'conflict');
      if (existing !== claim) throw idempotencyConflict(batchId);
      return { batchId, items, joined: true };
    }
    deps.admission.countKeyed('created');
  }
  const parsedMs = performance.now() - batch.startedMs;
  try {
    // Each request's entry in the response cache, when it opts in (its alias resolved: the model is in the entry's key).
    const cacheFills = batchCacheFills(
      { ttlSeconds: deps.config.responseCache.ttlSeconds, defaultModel: deps.config.llm.defaultModel, header: undefined, batch: undefined, ...batch.cache },
      caller,
      items,
    );
    await createBatch(deps, { ...batch.options, batchId, requestId: req.id, caller, items, origin: req, cacheFills });
  } catch (error) {
    // A keyed batch refused (rate, budget, Redis) gives its claim back: the key may be tried again.
    if (idempotent) await releaseBatchClaim(deps.redis, deps.prefix, batchId).catch(() => undefined);
    throw error;
  }
  deps.logger.info(
    { requestId: req.id, batchId, total: items.length, parseMs: Math.round(parsedMs), enqueueMs: Math.round(performance.now() - batch.startedMs - parsedMs) },
    'batch enqueued',
  );
  return { batchId, items, joined: false };
}
