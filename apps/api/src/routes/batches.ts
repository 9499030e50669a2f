import { Router, type Request, type Response } from 'express';
import {
  batchRequestRefused,
  compressedBatchRefused,
  IDEMPOTENCY_WINDOW_SECONDS,
  idempotencyConflict,
  invalidRequest,
  notFound,
  type BatchAccepted,
  type BatchList,
  type BatchView,
} from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { createBatchCaps } from '@gateway/limits';
import type { Logger } from '@gateway/observability';
import {
  batchJobId,
  batchJobIndex,
  batchResultLines,
  claimBatch,
  isGatewayBatchId,
  limitsPrefix,
  listBatchIds,
  loadBatch,
  readBatchView,
  releaseBatchClaim,
  type BatchRecord,
  type CallbackQueue,
  type ChatQueue,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import { readBatchBody } from '../batch-input';
import { BATCH_LINE_ENVELOPE_CHARS, intQuery } from './batch-query';
import type { Admission } from '../admission';
import { cancelBatch } from '../batch-cancel';
import { assertMayAccess, assertModelAllowed, callerOf, mayAccess, ownerKeyOf, ownerOfId, type Caller } from '../caller';
import { idempotentRequestOf, workIdFor } from '../idempotency';
import { batchCacheFills, bodyCacheMode, cacheHeaderMode, createBatch, enqueueOrUnavailable } from '../enqueue';
import { withModelAlias } from '../enqueue/model-alias';
import { servablePlan } from '../request-plan';
import { checkCallbackUrl } from './jobs';
import { readFileBatchItems, requireUploadedFile } from '../files/file-batch-items';

/** What the batch routes need. */
export interface BatchRouteDeps {
  config: Pick<Config, 'llm' | 'queue' | 'jobs' | 'providers' | 'http' | 'worker' | 'responseCache'>;
  queue: ChatQueue;
  redis: RedisClient;
  prefix: QueuePrefix;
  logger: Logger;
  /** A batch takes one rate-limit token per request from its agent's bucket and reserves the budget of every request. */
  admission: Admission;
  /** Where a batch's end is announced to its callback_url (recorded when the batch is created). */
  callbacks: CallbackQueue;
}

// No text/plain: a page can send it cross-site without a preflight (refused with 415 before any route).
const jsonLinesTypes = ['application/jsonl', 'application/x-ndjson', 'application/x-jsonlines', 'application/jsonlines'];

/** Batches listed per page at most (`GET /v1/batches?limit=`), and by default. */
const LIST_LIMIT = { max: 100, default: 20 };

/** Whether a body is JSONL (by its Content-Type), JSON, or neither (undefined). */
function bodyKind(req: Request): 'jsonl' | 'json' | undefined {
  if (req.is(jsonLinesTypes)) return 'jsonl';
  if (req.is(['application/json', 'application/*+json'])) return 'json';
  return undefined;
}

/** Batch routes read their own bodies as they arrive: a batch may be far larger than a chat request. */
export function batchRoutes(deps: BatchRouteDeps): Router {
  const router = Router();
  const limits = {
    limitBytes: deps.config.jobs.batchBodyLimitBytes,
    maxRequests: deps.config.jobs.batchMaxRequests,
    // A request of a batch is no larger than one sent alone, with room for an OpenAI line's custom_id, method and url.
    maxRequestChars: deps.config.http.bodyLimitBytes + BATCH_LINE_ENVELOPE_CHARS,
  };
  // Spend counters of batches with max_cost_usd (the limits' keys, under the plain prefix).
  const caps = createBatchCaps({ redis: deps.redis, prefix: limitsPrefix(deps.config), ttlSeconds: deps.config.queue.retentionSeconds });

  /** A batch's view, with its cap and spend when it has max_cost_usd. */
  const viewOf = async (record: BatchRecord, options?: Parameters<typeof readBatchView>[4]): Promise<BatchView> => {
    const [view, spend] = await Promise.all([readBatchView(deps.redis, deps.queue, deps.prefix, record, options), caps.spend(record.batchId)]);
    return spend ? { ...view, max_cost_usd: spend.capUsd, spent_usd: spend.spentUsd } : view;
  };

  /** A batch this caller may see: 404 for an unknown id, one past its retention, or another key's. */
  const requireBatch = async (caller: Caller, batchId: string): Promise<BatchRecord> => {
    if (isGatewayBatchId(batchId)) assertMayAccess(caller, batchId, 'batch');
    const record = isGatewayBatchId(batchId) ? await loadBatch(deps.redis, deps.prefix, batchId) : undefined;
    if (!record) throw notFound('batch', batchId, { retained: true });
    return record;
  };

  router.post('/v1/batches', async (req, res) => {
    const started = performance.now();
    const kind = bodyKind(req);
    const encoding = req.headers['content-encoding'];
    // Read as it arrives, so uncompressed: a gzip body would be refused as malformed JSON, which misleads.
    if (encoding !== undefined && encoding !== 'identity') throw compressedBatchRefused();
    if (!kind) throw invalidRequest('a batch is a JSON array of requests, {"requests": [...]}, or JSONL (Content-Type: application/jsonl)');
    const query = Object.fromEntries(
      ['callback_url', 'completion_window', 'max_cost_usd', 'cache'].flatMap((name) => (req.query[name] !== undefined ? [[name, req.query[name]]] : [])),
    );
    const { items: bodyItems, options, maxCostUsd, fromFile } = await readBatchBody(req, kind === 'jsonl', limits, query);
    const cacheHeader = cacheHeaderMode(req.get('X-Gateway-Cache'));
    checkCallbackUrl(options.callback_url, deps.config.jobs.callbackAllowedHosts);
    const caller = callerOf(req);
    // OpenAI's shape: the requests are the lines of a file the caller uploaded.
    const file = fromFile ? await requireUploadedFile(deps.redis, deps.prefix, caller, fromFile.input_file_id) : undefined;
    const read = file && fromFile ? (await readFileBatchItems(deps.redis, deps.prefix, file, fromFile)).items : bodyItems;
    // Model aliases resolve per line, as on every route.
    const items = read.map((item) => ({ ...item, request: withModelAlias(deps.config.llm.modelAliases, item.request) }));
    // A model outside the key's allow-list (403) or a request no provider can honour (400) fails the whole batch,
    // naming the request, before anything is reserved.
    items.forEach((item, index) => {
      try {
        assertModelAllowed(caller, item.request.model ?? deps.config.llm.defaultModel);
      } catch (error) {
        throw batchRequestRefused('forbidden', index, (error as Error).message);
      }
      servablePlan(deps.config, item.request, `requests.${index}.`);
    });
    // A file's content never changes under its id: the id stands for its requests.
    const idempotent = idempotentRequestOf(req, '/v1/batches', fromFile ? { fromFile, options, maxCostUsd } : { items, options, maxCostUsd });
    const batchId = workIdFor(req, idempotent, 'batch');
    if (idempotent) {
      // One SET NX claims the batch id: a duplicate gets the first request's answer, another body a 409.
      const claim = `${idempotent.requestHash}:${items.length}`;
      const existing = await enqueueOrUnavailable(() => claimBatch(deps.redis, deps.prefix, batchId, claim, IDEMPOTENCY_WINDOW_SECONDS));
      if (existing !== undefined) {
        deps.admission.countKeyed(existing === claim ? 'joined' : 'conflict');
        if (existing !== claim) throw idempotencyConflict(batchId);
        if (fromFile) {
          res.json(await viewOf(await requireBatch(caller, batchId)));
          return;
        }
        const accepted: BatchAccepted = { batch_id: batchId, total: items.length, job_ids: items.map((_, index) => batchJobId(batchId, index)) };
        res.status(202).setHeader('location', `/v1/batches/${batchId}`).json(accepted);
        return;
      }
      deps.admission.countKeyed('created');
    }
    const parsedMs = performance.now() - started;
    let accepted: BatchAccepted;
    try {
      accepted = await createBatch(
        { ...deps, caps },
        {
          batchId,
          requestId: req.id,
          caller,
          items,
          callbackUrl: options.callback_url,
          completionWindow: options.completion_window,
          maxCostUsd,
          endpoint: fromFile?.endpoint,
          inputFileId: fromFile?.input_file_id,
          metadata: options.metadata,
          origin: req,
          cacheFills: batchCacheFills(
            {
              ttlSeconds: deps.config.responseCache.ttlSeconds,
              defaultModel: deps.config.llm.defaultModel,
              header: cacheHeader,
              batch: bodyCacheMode(options.cache),
            },
            caller,
            items,
          ),
        },
      );
    } catch (error) {
      // A keyed batch refused (rate, budget, Redis) gives its claim back: the key may be tried again.
      if (idempotent) await releaseBatchClaim(deps.redis, deps.prefix, batchId).catch(() => undefined);
      throw error;
    }
    deps.logger.info(
      { requestId: req.id, batchId, total: items.length, parseMs: Math.round(parsedMs), enqueueMs: Math.round(performance.now() - started - parsedMs) },
      'batch enqueued',
    );
    // OpenAI's batches.create answers the Batch object; the native body keeps its 202 with the job ids.
    if (fromFile) {
      res.json(await viewOf(await requireBatch(caller, batchId)));
      return;
    }
    res.status(202).setHeader('location', `/v1/batches/${batchId}`).json(accepted);
  });

  router.get('/v1/batches', async (req, res) => {
    const caller = callerOf(req);
    const limit = Math.max(1, intQuery(req, 'limit', LIST_LIMIT.default, LIST_LIMIT.max));
    const after = typeof req.query['after'] === 'string' ? req.query['after'] : undefined;
    const { ids, hasMore } = await listBatchIds(deps.redis, deps.prefix, ownerKeyOf(caller), { after, limit });
    // Callers without a key share one list: the operator's batches there are not the static token's.
    const records = await Promise.all(
      ids.filter((batchId) => mayAccess(caller, ownerOfId(batchId))).map((batchId) => loadBatch(deps.redis, deps.prefix, batchId)),
    );
    const data = await Promise.all(records.filter((record): record is BatchRecord => record !== undefined).map((record) => viewOf(record)));
    const body: BatchList = { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: hasMore };
    res.json(body);
  });

  router.get('/v1/batches/:id', async (req, res) => {
    const record = await requireBatch(callerOf(req), req.params.id);
    const withResults = req.query['results'] === 'true' || req.query['results'] === '1';
    if (!withResults) {
      res.json(await viewOf(record));
      return;
    }
    // `after`: the job id (or index) of the last result already seen.
    const rawAfter = req.query['after'];
    let after = -1;
    if (typeof rawAfter === 'string') {
      const index = /^\d{1,9}$/.test(rawAfter) ? Number(rawAfter) : batchJobIndex(record.batchId, rawAfter);
      if (index === undefined) throw invalidRequest('after: a job id of this batch, or a request index');
      after = index;
    }
    const limit = Math.max(1, intQuery(req, 'limit', record.total, deps.config.jobs.batchMaxRequests));
    res.json(await viewOf(record, { results: { after, limit } }));
  });

  router.get('/v1/batches/:id/results', async (req, res) => {
    const record = await requireBatch(callerOf(req), req.params.id);
    res.status(200).setHeader('content-type', 'application/jsonl; charset=utf-8');
    // Page by page: each page is written (and drained to the client) before the next is read.
    try {
      for await (const text of batchResultLines(deps.redis, deps.queue, deps.prefix, record)) {
        if (res.destroyed) return;
        if (!res.write(text)) await new Promise<void>((resolve) => res.once('drain', () => resolve()).once('close', () => resolve()));
      }
    } catch (error) {
      // Redis failed mid-stream: the client sees the stream break, never a short file that looks complete.
      deps.logger.warn({ err: error, requestId: req.id, batchId: record.batchId }, 'batch results stream broken');
      res.destroy();
      return;
    }
    res.end();
  });

  /** Cancels what of a batch has not run, answering its view (a batch whose requests have all ended is left as it is). */
  const cancel = async (req: Request, res: Response) => {
    const record = await requireBatch(callerOf(req), String(req.params['id']));
    const current = await viewOf(record);
    if (current.done) {
      res.json(current);
      return;
    }
    const now = Date.now();
    const removed = await cancelBatch({ ...deps, admission: deps.admission, retentionSeconds: deps.config.queue.retentionSeconds }, record, now);
    deps.logger.info({ requestId: req.id, batchId: record.batchId, removed }, 'batch cancelled');
    const after = (await loadBatch(deps.redis, deps.prefix, record.batchId)) ?? { ...record, cancelledAt: now };
    res.json(await viewOf(after));
  };
  router.delete('/v1/batches/:id', cancel);
  // OpenAI's path.
  router.post('/v1/batches/:id/cancel', cancel);

  return router;
}
