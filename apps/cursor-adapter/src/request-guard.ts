import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The Host header's name, port dropped (`[::1]:3210` → `[::1]`), lowercased. */
export function hostName(header: string | undefined): string {
  const host = (header ?? '').trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0] ?? '';
}

/**
 * Guards every route but /healthz: a Host outside the allowed names is 421 (a DNS-rebinding page in a browser
 * cannot drive the agent), a missing or wrong bearer token is 401. Tokens are compared in constant time.
 */
export function createRequestGuard(options: { token: string; allowedHosts: readonly string[] }) {
  const expected = digest(options.token);
  return (req: Request, res: Response, next: NextFunction) => {
    if (!options.allowedHosts.includes(hostName(req.headers.host))) {
      res.status(421).json({ error: { message: 'host not allowed', type: 'invalid_request_error', code: 421 } });
      return;
    }
    if (req.path === '/healthz') return next();
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    if (given === '' || !timingSafeEqual(digest(given), expected)) {
      res.status(401).json({ error: { message: 'missing or invalid bearer token', type: 'unauthorized', code: 401 } });
      return;
    }
    next();
  };
}
