import { Router } from 'express';
import { z } from 'zod';
import { invalidRequest, type RequestLogPage } from '@gateway/contracts';
import { isRequestLogId, isStatusFilter, type RequestLog } from '@gateway/limits';
import { parseQuery } from '../validation';

const isoTime = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));

/** GET /admin/requests's query: filters, a page's bounds, and the format. */
const requestLogQuerySchema = z.object({
  key_id: z.string().min(1).max(128).optional(),
  agent_id: z.string().min(1).max(256).optional(),
  model: z.string().min(1).max(256).optional(),
  provider: z.string().min(1).max(64).optional(),
  status: z.string().refine(isStatusFilter, 'a status (429) or a class of them (5xx)').optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().refine(isRequestLogId, "an entry's id, as last_id gave it").optional(),
  format: z.enum(['json', 'jsonl']).optional(),
});

/**
 * The request log under /admin/requests (behind the admin token): newest first, filtered by key, agent, model,
 * provider, status and time, paged with `limit` and `after` (OpenAI's list shape), or as JSON Lines (`?format=jsonl` or
 * `Accept: application/jsonl`), one entry a line, the paging in `x-has-more` and `x-last-id`.
 */
export function requestLogRoutes(log: RequestLog): Router {
  const router = Router();
  router.get('/admin/requests', async (req, res) => {
    const query = parseQuery(requestLogQuerySchema, req.query as Record<string, unknown>);
    if (query.since !== undefined && query.until !== undefined && query.since > query.until) throw invalidRequest('since: after until');
    const { entries, hasMore } = await log.page({
      limit: query.limit,
      after: query.after,
      sinceMs: query.since,
      untilMs: query.until,
      keyId: query.key_id,
      agentId: query.agent_id,
      model: query.model,
      provider: query.provider,
      status: query.status,
    });
    const lastId = entries[entries.length - 1]?.id ?? null;
    const jsonl = query.format === 'jsonl' || (query.format === undefined && /application\/(jsonl|x-ndjson)/i.test(req.get('accept') ?? ''));
    if (jsonl) {
      res.setHeader('x-has-more', String(hasMore));
      if (lastId) res.setHeader('x-last-id', lastId);
      res.type('application/jsonl').send(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
      return;
    }
    const page: RequestLogPage = { object: 'list', data: entries, first_id: entries[0]?.id ?? null, last_id: lastId, has_more: hasMore };
    res.json(page);
  });
  return router;
}
