import { setTimeout } from 'node:timers/promises';
import { Router, type Request, type Response } from 'express';
import {
  batchStillCreating,
  compressedBatchRefused,
  GatewayError,
  invalidRequest,
  notFound,
  type BatchCreated,
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
  isGatewayBatchId,
  isMessageBatch,
  limitsPrefix,
  listBatchIds,
  loadBatch,
  readBatchView,
  type BatchRecord,
  type CallbackQueue,
  type LaneQueues,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import { readBatchBody } from '../batch-input';
import { BATCH_LINE_ENVELOPE_CHARS, intQuery } from './batch-query';
import type { Admission } from '../admission';
import { cancelBatch } from '../batch-cancel';
import { startBatch } from '../batch-start';
import { bodyCacheMode, cacheHeaderMode } from '../enqueue';
import { streamJsonLines } from '../jsonl-stream';
import { assertMayAccess, callerOf, mayAccess, ownerKeyOf, ownerOfId, type Caller } from '../caller';
import { checkCallbackUrl } from './jobs';
import { readFileBatchItems, requireUploadedFile } from '../files/file-batch-items';

/** How long a create under an Idempotency-Key waits for the batch the first request under it is creating. */
const JOINED_BATCH_WAIT_MS = 30_000;

/** What the batch routes need. */
export interface BatchRouteDeps {
  config: Pick<Config, 'llm' | 'queue' | 'jobs' | 'providers' | 'http' | 'worker' | 'responseCache'>;
  queue: LaneQueues;
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
    maxDepth: deps.config.http.maxJsonDepth,
  };
  // Spend counters of batches with max_cost_usd (the limits' keys, under the plain prefix).
  const caps = createBatchCaps({ redis: deps.redis, prefix: limitsPrefix(deps.config), ttlSeconds: deps.config.queue.retentionSeconds });

  /** A batch's view, with its cap and spend when it has max_cost_usd. */
  const viewOf = async (record: BatchRecord, options?: Parameters<typeof readBatchView>[4]): Promise<BatchView> => {
    const [view, spend] = await Promise.all([readBatchView(deps.redis, deps.queue, deps.prefix, record, options), caps.spend(record.batchId)]);
    return spend ? { ...view, max_cost_usd: spend.capUsd, spent_usd: spend.spentUsd } : view;
  };

  /** A batch this caller may see: 404 for an unknown id, one past its retention, another key's, or a Message Batch. */
  const requireBatch = async (caller: Caller, batchId: string): Promise<BatchRecord> => {
    if (isGatewayBatchId(batchId)) assertMayAccess(caller, batchId, 'batch');
    const record = isGatewayBatchId(batchId) ? await loadBatch(deps.redis, deps.prefix, batchId) : undefined;
    // Anthropic's Message Batches are seen through /v1/messages/batches only.
    if (!record || isMessageBatch(record)) throw notFound('batch', batchId, { retained: true });
    return record;
  };

  /**
   * The batch a create answers. A repeat under the same Idempotency-Key joins the first request's batch, whose record
   * may still be being written: it is read again until it is there (503, retry the same request, if it never comes:
   * the first request was refused and gave its key back, or is still creating a very large batch).
   */
  const createdRecord = async (caller: Caller, batchId: string, joined: boolean): Promise<BatchRecord> => {
    const deadline = performance.now() + JOINED_BATCH_WAIT_MS;
    for (;;) {
      try {
        return await requireBatch(caller, batchId);
      } catch (error) {
        if (!joined || !(error instanceof GatewayError) || error.type !== 'not_found') throw error;
        if (performance.now() >= deadline) throw batchStillCreating(batchId);
        await setTimeout(50);
      }
    }
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
    const { batchId, items, joined } = await startBatch({ ...deps, caps }, req, {
      route: '/v1/batches',
      items: read,
      // A file's content never changes under its id: the id stands for its requests.
      hashed: (aliased) => (fromFile ? { fromFile, options, maxCostUsd } : { items: aliased, options, maxCostUsd }),
      options: {
        callbackUrl: options.callback_url,
        completionWindow: options.completion_window,
        maxCostUsd,
        endpoint: fromFile?.endpoint,
        inputFileId: fromFile?.input_file_id,
        metadata: options.metadata,
      },
      cache: { header: cacheHeader, batch: bodyCacheMode(options.cache) },
      startedMs: started,
    });
    // OpenAI's batches.create answers the Batch object; the native body the same object, with its 202 and job ids.
    const view = await viewOf(await createdRecord(caller, batchId, joined));
    if (fromFile) {
      res.json(view);
      return;
    }
    const created: BatchCreated = { ...view, job_ids: items.map((_, index) => batchJobId(batchId, index)) };
    res.status(202).setHeader('location', `/v1/batches/${batchId}`).json(created);
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
    await streamJsonLines(res, batchResultLines(deps.redis, deps.queue, deps.prefix, record), (error) =>
      deps.logger.warn({ err: error, requestId: req.id, batchId: record.batchId }, 'batch results stream broken'),
    );
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
