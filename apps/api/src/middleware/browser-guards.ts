import type { NextFunction, Request, Response } from 'express';
import { mediaTypeRefused, originForbidden } from '@gateway/contracts';

/**
 * Body types a web page may send to any site without a CORS preflight (the "simple" ones). The API reads JSON and
 * JSONL only, so these are refused on every route: no page can make a credential-less browser post work here.
 */
const preflightFreeMediaTypes: ReadonlySet<string> = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);
const unsafeMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a method may change something (all but GET, HEAD and OPTIONS). */
export const isUnsafeMethod = (method: string): boolean => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

/** `X-Content-Type-Options: nosniff` on every answer: an error echoing input is never sniffed into HTML. */
export function noSniff(_req: Request, res: Response, next: NextFunction) {
  res.setHeader('x-content-type-options', 'nosniff');
  next();
}

/**
 * 415 for a body a page could send cross-site without a preflight (text/plain, forms), except the one upload route
 * that takes a form (`POST /v1/files`, OpenAI's shape): an upload only stores a file of its caller's, and a foreign
 * page's POST is refused before it by its Origin (refuseForeignOrigins).
 */
export function refusePreflightFreeBodies(req: Request, _res: Response, next: NextFunction) {
  const mediaType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const isUpload = mediaType === 'multipart/form-data' && req.method === 'POST' && req.path === '/v1/files';
  if (preflightFreeMediaTypes.has(mediaType) && !isUpload) {
    next(mediaTypeRefused(mediaType));
    return;
  }
  next();
}

/** Whether an Origin is the request's own (a page the gateway served, e.g. Bull Board, calling back). */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * 403 for an unsafe request (POST, PUT, PATCH, DELETE) whose Origin is neither in CORS_ALLOWED_ORIGINS nor the
 * request's own. CORS only stops a page from reading the answer; this stops the request from doing anything.
 * Requests without Origin (SDKs, curl, servers) are not browsers' cross-site requests and pass.
 */
export function refuseForeignOrigins(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return (req: Request, _res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if (origin === undefined || !unsafeMethods.has(req.method) || allowed.has(origin) || isSameOrigin(origin, req.get('host'))) {
      next();
      return;
    }
    next(originForbidden(origin));
  };
}
