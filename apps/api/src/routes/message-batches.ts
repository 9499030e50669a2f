import { Router, type Request } from 'express';
import { agentIdSchema, compressedBatchRefused, invalidRequest, notFound } from '@gateway/contracts';
import { createBatchCaps } from '@gateway/limits';
import {
  batchOutcomePages,
  isMessageBatch,
  limitsPrefix,
  listMessageBatchIds,
  loadBatch,
  MESSAGE_BATCH_ENDPOINT,
  readBatchState,
  removeBatch,
  type BatchRecord,
} from '@gateway/queue';
import { cancelBatch } from '../batch-cancel';
import { readBatchBody } from '../batch-input';
import { startBatch } from '../batch-start';
import { callerOf, mayAccess, ownerKeyOf, ownerOfId, type Caller } from '../caller';
import { fromMessageBatchId, messageBatchResultLine, toMessageBatch, toMessageBatchId } from '../dialects/messages/message-batch';
import { createMessageBatchItemParser } from '../message-batch-input';
import { messageBatchListQuerySchema, type MessageBatchPage } from '../dialects/messages/message-batch-wire';
import { headerField } from '../header-fields';
import { streamJsonLines } from '../jsonl-stream';
import { messagesErrorHandler } from './messages';
import { BATCH_LINE_ENVELOPE_CHARS } from './batch-query';
import type { BatchRouteDeps } from './batches';
import { parseBody } from '../validation';

/** Anthropic's window: a Message Batch's requests not started within 24 hours end `expired`. */
const MESSAGE_BATCH_WINDOW = '24h';

/** A Message Batch's results, read a page of requests at a time (each page written and drained before the next). */
async function* resultLines(deps: BatchRouteDeps, record: BatchRecord): AsyncGenerator<string> {
  for await (const page of batchOutcomePages(deps.redis, deps.queue, deps.prefix, record)) {
    let text = '';
    for (const outcome of page) {
      const line = messageBatchResultLine(record, outcome);
      if (line) text += `${JSON.stringify(line)}\n`;
    }
    if (text !== '') yield text;
  }
}

/**
 * Anthropic's Message Batches API on the gateway's one batch engine: `POST /v1/messages/batches` reads
 * `{"requests": [{custom_id, params}]}` as it arrives (each `params` checked and mapped by the Messages dialect) and
 * creates a batch as every batch route does (the batch lane, fair share, keys' ownership, max_cost_usd, the
 * Idempotency-Key), shown as Anthropic's MessageBatch; retrieve, list (`before_id`/`after_id`/`limit`), cancel,
 * results (JSONL, once ended) and delete (once ended). Errors in Anthropic's shape.
 */
export function messageBatchRoutes(deps: BatchRouteDeps): Router {
  const router = Router();
  const limits = {
    limitBytes: deps.config.jobs.batchBodyLimitBytes,
    maxRequests: deps.config.jobs.batchMaxRequests,
    maxRequestChars: deps.config.http.bodyLimitBytes + BATCH_LINE_ENVELOPE_CHARS,
    maxDepth: deps.config.http.maxJsonDepth,
  };
  const caps = createBatchCaps({ redis: deps.redis, prefix: limitsPrefix(deps.config), ttlSeconds: deps.config.queue.retentionSeconds });

  /** A Message Batch this caller may see: 404 for an unknown id, one past its retention, another key's, or another kind of batch. */
  const requireMessageBatch = async (caller: Caller, id: string): Promise<BatchRecord> => {
    const batchId = fromMessageBatchId(id);
    const record = batchId !== undefined && mayAccess(caller, ownerOfId(batchId)) ? await loadBatch(deps.redis, deps.prefix, batchId) : undefined;
    if (!record || !isMessageBatch(record)) throw notFound('message batch', id, { retained: true });
    return record;
  };
  const stateOf = (record: BatchRecord) => readBatchState(deps.redis, deps.queue, deps.prefix, record);
  const viewOf = async (record: BatchRecord) => toMessageBatch(record, await stateOf(record));
  const idParam = (req: Request) => String(req.params['id']);

  router.post('/v1/messages/batches', async (req, res) => {
    const started = performance.now();
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') throw compressedBatchRefused();
    if (!req.is(['application/json', 'application/*+json'])) throw invalidRequest('a Message Batch is a JSON body: {"requests": [{"custom_id", "params"}]}');
    const query = Object.fromEntries(['completion_window', 'max_cost_usd'].flatMap((name) => (req.query[name] !== undefined ? [[name, req.query[name]]] : [])));
    const parseItem = createMessageBatchItemParser(headerField(req, 'X-Agent-Id', agentIdSchema));
    const { items, options, maxCostUsd } = await readBatchBody(req, false, limits, query, parseItem);
    // The gateway's own batch options that have no meaning here are refused, not ignored.
    if (options.callback_url !== undefined) throw invalidRequest('callback_url: not taken by Message Batches (poll GET /v1/messages/batches/{id})');
    if (options.metadata !== undefined && options.metadata !== null) throw invalidRequest('metadata: not taken by Message Batches');
    const completionWindow = options.completion_window ?? MESSAGE_BATCH_WINDOW;
    const { batchId } = await startBatch({ ...deps, caps }, req, {
      route: '/v1/messages/batches',
      items,
      hashed: (aliased) => ({ items: aliased, completionWindow, maxCostUsd }),
      options: { callbackUrl: undefined, completionWindow, maxCostUsd, endpoint: MESSAGE_BATCH_ENDPOINT },
      startedMs: started,
    });
    res.json(await viewOf(await requireMessageBatch(callerOf(req), toMessageBatchId(batchId))));
  });

  router.get('/v1/messages/batches', async (req, res) => {
    const caller = callerOf(req);
    const query = parseBody(messageBatchListQuerySchema, { ...req.query });
    const cursor = (name: 'after_id' | 'before_id') => {
      const id = query[name];
      if (id === undefined) return undefined;
      const batchId = fromMessageBatchId(id);
      if (batchId === undefined) throw invalidRequest(`${name}: ${id.slice(0, 128)} is not a Message Batch id`);
      return batchId;
    };
    const { ids, hasMore } = await listMessageBatchIds(deps.redis, deps.prefix, ownerKeyOf(caller), {
      afterId: cursor('after_id'),
      beforeId: cursor('before_id'),
      limit: query.limit,
    });
    // Callers without a key share one list: the operator's batches there are not the static token's.
    const records = await Promise.all(
      ids.filter((batchId) => mayAccess(caller, ownerOfId(batchId))).map((batchId) => loadBatch(deps.redis, deps.prefix, batchId)),
    );
    const data = await Promise.all(records.filter((record): record is BatchRecord => record !== undefined).map(viewOf));
    const page: MessageBatchPage = { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    res.json(page);
  });

  router.get('/v1/messages/batches/:id', async (req, res) => {
    res.json(await viewOf(await requireMessageBatch(callerOf(req), idParam(req))));
  });

  router.get('/v1/messages/batches/:id/results', async (req, res) => {
    const record = await requireMessageBatch(callerOf(req), idParam(req));
    const state = await stateOf(record);
    if (!state.done)
      throw invalidRequest(`message batch ${idParam(req)} has not ended yet: its results are read once processing_status is ended (results_url is set then)`);
    await streamJsonLines(res, resultLines(deps, record), (error) =>
      deps.logger.warn({ err: error, requestId: req.id, batchId: record.batchId }, 'message batch results stream broken'),
    );
  });

  // Cancels what has not started; what runs finishes. A batch that has ended is answered as it is.
  router.post('/v1/messages/batches/:id/cancel', async (req, res) => {
    const record = await requireMessageBatch(callerOf(req), idParam(req));
    if ((await stateOf(record)).done) {
      res.json(await viewOf(record));
      return;
    }
    const now = Date.now();
    const removed = await cancelBatch({ ...deps, retentionSeconds: deps.config.queue.retentionSeconds }, record, now);
    deps.logger.info({ requestId: req.id, batchId: record.batchId, removed }, 'message batch cancelled');
    res.json(await viewOf((await loadBatch(deps.redis, deps.prefix, record.batchId)) ?? { ...record, cancelledAt: now }));
  });

  router.delete('/v1/messages/batches/:id', async (req, res) => {
    const record = await requireMessageBatch(callerOf(req), idParam(req));
    const view = await viewOf(record);
    if (view.processing_status !== 'ended')
      throw invalidRequest(`message batch ${view.id} is ${view.processing_status}: a batch is deleted once it has ended (cancel it first)`);
    const removed = await removeBatch(deps.redis, deps.queue, deps.prefix, record);
    deps.logger.info({ requestId: req.id, batchId: record.batchId, removed }, 'message batch deleted');
    res.json({ id: view.id, type: 'message_batch_deleted' });
  });

  router.use(messagesErrorHandler(deps.logger));
  return router;
}
