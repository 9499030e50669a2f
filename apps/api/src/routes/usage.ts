import { Router } from 'express';
import type { UsageReport } from '@gateway/contracts';
import type { Budget } from '@gateway/limits';

/** `GET /v1/usage`: spend today and this month (UTC), overall, by agent, model and provider, against the budgets. */
export function usageRoutes(budget: Budget): Router {
  const router = Router();
  router.get('/v1/usage', async (_req, res) => {
    const report: UsageReport = await budget.usage();
    res.json(report);
  });
  return router;
}
