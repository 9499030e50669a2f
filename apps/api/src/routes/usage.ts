import { Router } from 'express';
import type { PeriodSpend, UsageReport } from '@gateway/contracts';
import type { Budget } from '@gateway/limits';
import { callerOf } from '../caller';
import { keyLedgerOf } from '../keys/key-routes';

function withoutKeys({ by_key: _byKey, ...spend }: PeriodSpend): PeriodSpend {
  return spend;
}

/**
 * `GET /v1/usage`: spend today and this month (UTC), by agent, model and provider, against the budgets. A key sees
 * its own ledger and budgets; other callers the gateway's, and only the operator (the admin token) sees the spend by
 * key: the static token and unauthenticated callers are tenants too, and other keys' figures are not theirs.
 */
export function usageRoutes(budget: Budget): Router {
  const router = Router();
  router.get('/v1/usage', async (req, res) => {
    const caller = callerOf(req);
    const report: UsageReport = await budget.usage(caller.kind === 'key' ? keyLedgerOf(caller.key) : undefined);
    res.json(caller.kind === 'admin' ? report : { day: withoutKeys(report.day), month: withoutKeys(report.month) });
  });
  return router;
}
