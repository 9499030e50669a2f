import { Router } from 'express';
import { z } from 'zod';
import { KEY_ID_PATTERN, notFound, type SpendHistory } from '@gateway/contracts';
import { SPEND_HISTORY_MAX_DAYS, type SpendReader } from '@gateway/limits';
import type { KeyStore } from '../keys/key-store';
import { parseQuery } from '../validation';

const spendQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(SPEND_HISTORY_MAX_DAYS).default(30),
  top: z.coerce.number().int().min(1).max(100).default(10),
  key_id: z.string().max(64).optional(),
});

/**
 * `GET /admin/spend` (behind the admin token): spend per UTC day over the last `days` (today's included), by key,
 * model, provider and agent, each breakdown cut to its `top` names over the window (the rest as "(other)"), and the
 * window's sums; `key_id`: that key's own ledger instead of the gateway's.
 */
export function spendRoutes(deps: { spend: SpendReader; keys: Pick<KeyStore, 'get'> }): Router {
  const router = Router();
  router.get('/admin/spend', async (req, res) => {
    const query = parseQuery(spendQuerySchema, req.query as Record<string, unknown>);
    if (query.key_id !== undefined) {
      if (!KEY_ID_PATTERN.test(query.key_id)) throw notFound('key', query.key_id, { maxIdChars: 64 });
      await deps.keys.get(query.key_id);
    }
    const history: SpendHistory = await deps.spend.history({ days: query.days, top: query.top, keyId: query.key_id });
    res.json(history);
  });
  return router;
}
