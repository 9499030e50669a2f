import { Router } from 'express';
import { z } from 'zod';
import { cancelledJobError, invalidRequest } from '@gateway/contracts';
import { dropKeptOutcome, keepJobOutcome, markJobCancelled, publishCancel } from '@gateway/queue';
import { callerOf } from '../caller';
import { toResponse, type ResponseMeta } from '../dialects/responses/from-chat-result';
import { deleteResponseRecord, requireResponseRecord, type ResponseRecord } from '../stored-responses/response-record';
import { readResponseState, settledResult } from '../stored-responses/response-state';
import { responsesStreamFormat } from '../dialects/responses/stream-events';
import { serveAttachedStream } from '../stream-attach';
import { parseBody } from '../validation';
import type { ResponsesRouteDeps } from './responses-deps';

const metaOf = (record: ResponseRecord): ResponseMeta => ({ id: record.id, createdAt: record.createdAt, model: record.model, request: record.request });

const retrieveQuerySchema = z.object({
  stream: z.enum(['true', 'false']).optional(),
  starting_after: z.coerce.number().int().min(0).optional(),
  include: z.unknown().optional(),
});

const listQuerySchema = z.object({
  after: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  include: z.unknown().optional(),
});

/** How long a cancel of a running response waits for its worker to end it before answering. */
const CANCEL_SETTLE_MS = 3000;

/**
 * The stored responses of a caller: `GET /v1/responses/{id}` (with `stream=true&starting_after=n`, a background
 * stream served again from its kept messages, on any instance), `DELETE`, `POST …/cancel` (background responses, as
 * DELETE /v1/jobs/{id} cancels a job), and `GET …/input_items` (paged as OpenAI's lists). Another key's id is a 404.
 */
export function responseReadRoutes(deps: ResponsesRouteDeps): Router {
  const router = Router();

  router.get('/v1/responses/:id', async (req, res) => {
    const query = parseBody(retrieveQuerySchema, { ...req.query });
    const record = await requireResponseRecord(deps, callerOf(req), req.params.id);
    if (query.stream !== 'true') {
      res.json(toResponse(metaOf(record), await readResponseState(deps, record.jobId)));
      return;
    }
    const job = await deps.queue.getJob(record.jobId);
    if (!record.request.background || !record.request.stream || !job?.data.resumable) {
      throw invalidRequest('stream: only a background response made with stream: true can be streamed again (within JOB_RETENTION_SECONDS)');
    }
    const format = responsesStreamFormat({ meta: metaOf(record), startingAfter: query.starting_after });
    await serveAttachedStream(deps, req, res, { jobId: record.jobId, format, graceOnLeave: false, agentId: job.data.agent_id });
  });

  router.delete('/v1/responses/:id', async (req, res) => {
    const record = await requireResponseRecord(deps, callerOf(req), req.params.id);
    await deleteResponseRecord(deps, record);
    await dropKeptOutcome(deps.redis, deps.prefix, record.jobId);
    res.json({ id: record.id, object: 'response', deleted: true });
  });

  router.post('/v1/responses/:id/cancel', async (req, res) => {
    const record = await requireResponseRecord(deps, callerOf(req), req.params.id);
    if (!record.request.background) throw invalidRequest('only background responses can be cancelled');
    const meta = metaOf(record);
    const state = await readResponseState(deps, record.jobId);
    if (state.status !== 'queued' && state.status !== 'in_progress') {
      res.json(toResponse(meta, state));
      return;
    }
    const { jobId } = record;
    // Marked first: a worker that fails the job because of the abort then reports it as cancelled.
    await markJobCancelled(deps.redis, deps.prefix, jobId, deps.config.queue.retentionSeconds);
    const job = await deps.queue.getJob(jobId);
    // remove() refuses a job locked by a worker (active): that one is aborted through the cancel channel.
    const removed = job ? await deps.queue.remove(jobId) : 0;
    if (removed === 1) {
      await deps.admission.release(jobId, job?.data.key_id).catch(() => undefined);
      await keepJobOutcome(deps.redis, deps.prefix, jobId, { state: 'failed', error: cancelledJobError() }, deps.config.responses.ttlSeconds);
      res.json(toResponse(meta, { status: 'cancelled' }));
      return;
    }
    await publishCancel(deps.redis, deps.prefix, jobId);
    res.json(toResponse(meta, await settledResult(deps, jobId, CANCEL_SETTLE_MS)));
  });

  router.get('/v1/responses/:id/input_items', async (req, res) => {
    const query = parseBody(listQuerySchema, { ...req.query });
    const record = await requireResponseRecord(deps, callerOf(req), req.params.id);
    const ordered = query.order === 'asc' ? record.inputItems : [...record.inputItems].reverse();
    const start = query.after === undefined ? 0 : ordered.findIndex((item) => item['id'] === query.after) + 1;
    if (query.after !== undefined && start === 0) throw invalidRequest(`after: no input item ${query.after.slice(0, 128)} in this response`);
    const page = ordered.slice(start, start + query.limit);
    res.json({
      object: 'list',
      data: page,
      first_id: page[0]?.['id'] ?? null,
      last_id: page.at(-1)?.['id'] ?? null,
      has_more: start + query.limit < ordered.length,
    });
  });

  return router;
}
