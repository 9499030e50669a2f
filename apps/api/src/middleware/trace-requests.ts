import type { NextFunction, Request, Response } from 'express';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { gatewayAttributes, type Tracing } from '@gateway/observability';
import { createRouteLabel } from './route-label';

declare module 'express-serve-static-core' {
  interface Request {
    /** The `traceparent` of this request's span (traces on only): a job made for it carries it to its worker. */
    traceparent?: string;
  }
}

const untraced: ReadonlySet<string> = new Set(['/healthz', '/metrics']);

/**
 * The API's span of each request (traces on only: app.ts mounts this only then): it continues the caller's
 * `traceparent`, answers with the trace in `traceresponse` (W3C Trace Context), and ends when the answer is written.
 */
export function traceRequests(tracing: Tracing) {
  const routeLabel = createRouteLabel();
  return (req: Request, res: Response, next: NextFunction) => {
    // Probes and scrapes every few seconds would drown the traces of requests.
    if (untraced.has(req.path)) {
      next();
      return;
    }
    const parent = tracing.contextOf(req.get('traceparent'), req.get('tracestate'));
    const span = tracing.tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: req.path, [gatewayAttributes.requestId]: req.id } },
      parent,
    );
    const traceparent = tracing.traceparentOf(span);
    req.traceparent = traceparent;
    res.setHeader('traceresponse', traceparent);
    res.once('close', () => {
      const route = routeLabel(req, res);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (res.locals['jobId']) span.setAttribute(gatewayAttributes.jobId, String(res.locals['jobId']));
      span.end();
    });
    next();
  };
}
