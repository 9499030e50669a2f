import { Router } from 'express';
import { jsonBody } from '../middleware/json-body';
import { KEY_ID_PATTERN, createKeyRequestSchema, updateKeyRequestSchema, notFound, type ListedKey, type UsageReport } from '@gateway/contracts';
import type { Budget, SpendReader } from '@gateway/limits';
import type { Logger } from '@gateway/observability';
import { parseBody } from '../validation';
import type { KeyCache } from './key-cache';
import { keyView, type ApiKeyRecord, type KeyStore } from './key-store';

export interface KeyRouteDeps {
  store: KeyStore;
  cache: KeyCache;
  budget: Budget;
  /** Each listed key's spend today and this month. */
  spend: Pick<SpendReader, 'keyPeriods'>;
  logger: Logger;
  /** The deepest nesting a body may have (GATEWAY_JSON_MAX_DEPTH). */
  maxJsonDepth: number;
}

/** A key's own ledger, as the budget reports and checks it. */
export const keyLedgerOf = (key: ApiKeyRecord) => ({
  id: key.id,
  ...(key.daily_budget_usd !== null ? { dailyLimitUsd: key.daily_budget_usd } : {}),
  ...(key.monthly_budget_usd !== null ? { monthlyLimitUsd: key.monthly_budget_usd } : {}),
});

function keyId(raw: string): string {
  if (!KEY_ID_PATTERN.test(raw)) throw notFound('key', raw, { maxIdChars: 64 });
  return raw;
}

/**
 * The keys API under /admin/keys (behind the admin token): create (the secret shown once), list (each with its spend
 * today and this month), show with today's and this month's usage, update, revoke, rotate. A change made here applies at once on this instance and within
 * the key cache's age (half a second) on the others.
 */
export function keyRoutes(deps: KeyRouteDeps): Router {
  const router = Router();
  router.use('/admin/keys', jsonBody({ limit: 64 * 1024, maxDepth: deps.maxJsonDepth }));

  router.post('/admin/keys', async (req, res) => {
    const created = await deps.store.create(parseBody(createKeyRequestSchema, req.body));
    deps.logger.info({ keyId: created.id, name: created.name }, 'api key created');
    res.status(201).setHeader('location', `/admin/keys/${created.id}`).json(created);
  });

  router.get('/admin/keys', async (_req, res) => {
    const records = await deps.store.list();
    const spend = await deps.spend.keyPeriods(records.map(keyLedgerOf));
    const data: ListedKey[] = records.map((record) => ({ ...keyView(record), spend: spend.get(record.id)! }));
    res.json({ object: 'list', data });
  });

  router.get('/admin/keys/:id', async (req, res) => {
    const key = await deps.store.get(keyId(req.params.id));
    const usage: UsageReport = await deps.budget.usage(keyLedgerOf(key));
    res.json({ ...keyView(key), usage });
  });

  router.patch('/admin/keys/:id', async (req, res) => {
    const updated = await deps.store.update(keyId(req.params.id), parseBody(updateKeyRequestSchema, req.body));
    deps.cache.forget(updated.secret_hash);
    deps.logger.info({ keyId: updated.id }, 'api key updated');
    res.json(keyView(updated));
  });

  router.delete('/admin/keys/:id', async (req, res) => {
    const revoked = await deps.store.revoke(keyId(req.params.id));
    deps.cache.forget(revoked.secret_hash);
    deps.logger.info({ keyId: revoked.id }, 'api key revoked');
    res.json(keyView(revoked));
  });

  router.post('/admin/keys/:id/rotate', async (req, res) => {
    const { created, oldSecretHash } = await deps.store.rotate(keyId(req.params.id));
    deps.cache.forget(oldSecretHash);
    deps.logger.info({ keyId: created.id }, 'api key rotated');
    res.json(created);
  });
  return router;
}
