import type { NextFunction, Request, Response } from 'express';
import { GatewayError, internalError, queueUnavailable, routeNotFound, toGatewayError, unreadableBody } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';

/** body-parser's errors carry a `type` and a status; map them to the gateway's types. */
function fromBodyParser(error: { type?: string; status?: number; message?: string }): GatewayError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return unreadableBody('too-large');
    case 'entity.parse.failed':
      return unreadableBody('not-json');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return unreadableBody('encoding');
    case 'request.aborted':
      return unreadableBody('incomplete');
    default:
      if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
        return unreadableBody('other');
      }
      return undefined;
  }
}

/** Redis-side failures (connection down, command timeout): the caller should retry later. */
export function isRedisUnavailable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /Connection is closed|enableOfflineQueue|Stream isn't writeable|ECONNREFUSED|Command timed out|ETIMEDOUT|ECONNRESET|MaxRetriesPerRequest|Reached the max retries|CLUSTERDOWN|LOADING/i.test(
    message,
  );
}

/** What a request's failure that is not a GatewayError becomes: body-parser's, Redis down, else a logged bug. */
export function requestFailure(logger: Logger, req: Request) {
  return (error: unknown): GatewayError => {
    const fromBody = error && typeof error === 'object' && 'type' in error ? fromBodyParser(error as object) : undefined;
    if (fromBody) return fromBody;
    if (isRedisUnavailable(error)) return queueUnavailable();
    logger.error({ err: error, requestId: req.id }, 'unexpected error');
    return internalError();
  };
}

/**
 * The one error middleware: every failure leaves as the spec's envelope, or in the shape `body` gives (OpenAI's on
 * its routes), with its status (or the one `status` gives: Anthropic's on its routes) and Retry-After.
 */
export function errorHandler(
  logger: Logger,
  body: (error: GatewayError, req: Request) => unknown = (error, req) => error.toBody(req.id),
  status: (error: GatewayError) => number = (error) => error.status,
) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const gatewayError = toGatewayError(error, requestFailure(logger, req));
    if (res.headersSent) {
      res.end();
      return;
    }
    if (gatewayError.details.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(gatewayError.details.retryAfterSeconds));
    res.status(status(gatewayError)).json(body(gatewayError, req));
  };
}

export function notFound(req: Request, res: Response) {
  res.status(404).json(routeNotFound(req.method, req.path).toBody(req.id));
}
