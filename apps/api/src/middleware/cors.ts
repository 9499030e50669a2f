import type { NextFunction, Request, Response } from 'express';

const allowedMethods = 'GET, POST, PUT, DELETE, OPTIONS';
const exposedHeaders = 'X-Request-Id, Retry-After';
const preflightMaxAgeSeconds = 600;

/**
 * CORS for exactly the configured origins. An allowed origin gets its own origin echoed back (never `*`);
 * any other origin gets no allow header, so the browser blocks it. Preflights are answered here, before
 * authentication (browsers send them without credentials).
 */
export function cors(allowedOrigins: readonly string[]) {
  const allowed = new Set(allowedOrigins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if (origin === undefined) {
      next();
      return;
    }
    res.vary('Origin');
    const isAllowed = allowed.has(origin);
    if (isAllowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', exposedHeaders);
    }
    if (req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined) {
      if (isAllowed) {
        res.setHeader('access-control-allow-methods', allowedMethods);
        // Echo the asked-for headers: SDKs add their own (x-stainless-*, openai-*), and this origin is trusted.
        const requested = req.get('access-control-request-headers');
        if (requested) res.setHeader('access-control-allow-headers', requested);
        res.setHeader('access-control-max-age', String(preflightMaxAgeSeconds));
        res.vary('Access-Control-Request-Headers');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
