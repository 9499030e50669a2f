import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger, Metrics } from '@gateway/observability';
import { createRouteLabel } from './route-label';

const validRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id: the caller's X-Request-Id when sane, else a new UUID. */
    id: string;
  }
}

/** Assigns the request id, and on finish logs one line and counts the request. */
export function requestContext(logger: Logger, metrics: Metrics) {
  const routeLabel = createRouteLabel();
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && validRequestId.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.id);
    const started = performance.now();
    // Read by entries the API writes itself (a response cache hit's latency).
    res.locals['startedAt'] = started;
    res.once('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      const route = routeLabel(req, res);
      metrics.httpRequests.inc({ route, method: req.method, status_code: String(res.statusCode) });
      metrics.httpRequestDuration.observe({ route }, seconds);
      const level = res.statusCode >= 500 ? 'warn' : 'info';
      logger[level](
        {
          requestId: req.id,
          method: req.method,
          route,
          statusCode: res.statusCode,
          latencyMs: Math.round(seconds * 10_000) / 10,
          ...(res.locals['provider'] ? { provider: res.locals['provider'], model: res.locals['model'] } : {}),
          ...(res.locals['jobId'] ? { jobId: res.locals['jobId'] } : {}),
        },
        'request finished',
      );
    });
    next();
  };
}
