import { Router } from 'express';
import type { UsageReport } from '@gateway/contracts';
import type { Budget } from '@gateway/limits';
import { callerOf } from '../caller';
import { keyLedgerOf } from '../keys/key-routes';

/**
 * `GET /v1/usage`: spend today and this month (UTC), by agent, model and provider, against the budgets. A key sees
 * its own ledger and budgets; other callers the gateway's (the operator's view adds the spend by key).
 */
export function usageRoutes(budget: Budget): Router {
  const router = Router();
  router.get('/v1/usage', async (req, res) => {
    const caller = callerOf(req);
    const report: UsageReport = await budget.usage(caller.kind === 'key' ? keyLedgerOf(caller.key) : undefined);
    res.json(report);
  });
  return router;
}
