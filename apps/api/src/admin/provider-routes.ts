import { Router } from 'express';
import type { AdminProvidersView } from '@gateway/contracts';
import type { ProviderErrorLog } from '@gateway/resilience';
import type { ProvidersReader } from '../routes/providers';

/**
 * `GET /admin/providers` (behind the admin token): `GET /v1/providers`'s view, plus each deployment's last failures
 * that counted against its circuit (upstream text, scrubbed: for operators only, hence not on /v1).
 */
export function adminProviderRoutes(deps: { providers: ProvidersReader; errors: Pick<ProviderErrorLog, 'read'> }): Router {
  const router = Router();
  router.get('/admin/providers', async (_req, res) => {
    const [view, recentErrors] = await Promise.all([deps.providers.read(), deps.errors.read(deps.providers.deploymentIds())]);
    const body: AdminProvidersView = { ...view, recent_errors: recentErrors };
    res.json(body);
  });
  return router;
}
