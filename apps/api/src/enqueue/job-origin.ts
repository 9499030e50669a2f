import type { ChatJobData } from '@gateway/contracts';
import type { Request } from 'express';

/** What of the HTTP request a job carries beyond its body: the route it came in by, and its trace (traces on). */
export type JobOriginRequest = Partial<Pick<Request, 'baseUrl' | 'path' | 'traceparent'>>;

/**
 * The route (`/v1/chat/completions`: the path, without query) and the `traceparent` of the request a job serves.
 * Read from the request itself, so every route that enqueues gets both without passing them.
 */
export function jobOrigin(req: JobOriginRequest): Pick<ChatJobData, 'route' | 'traceparent'> {
  const route = req.path === undefined ? undefined : `${req.baseUrl ?? ''}${req.path}`;
  return {
    ...(route !== undefined ? { route } : {}),
    ...(req.traceparent !== undefined ? { traceparent: req.traceparent } : {}),
  };
}
