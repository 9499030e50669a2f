import type { Request, Response } from 'express';
import { createBoundedLabel } from '@gateway/observability';

/** Distinct route labels kept; the gateway's own routes and mounts are far fewer. */
const maxRouteLabels = 64;

/**
 * The `route` label of a finished request: the matched route's pattern (`/v1/jobs/:id`, never the id), lower-cased
 * because express matches paths case-insensitively while `req.baseUrl` keeps the caller's casing (`/AdMiN/QuEuEs`
 * would make a new series per spelling); a request no route matched is `unmatched`. Bounded, whatever happens.
 */
export function createRouteLabel(limit = maxRouteLabels): (req: Request, res: Response) => string {
  const bounded = createBoundedLabel(limit);
  return (req, res) => {
    const routePath = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof routePath === 'string') return bounded(`${req.baseUrl}${routePath}`.toLowerCase());
    if (res.statusCode === 404 || !req.baseUrl) return 'unmatched';
    return bounded(req.baseUrl.toLowerCase());
  };
}
