import type { NextFunction, Request, Response } from 'express';
import { hostForbidden } from '@gateway/contracts';

/** The host name of a Host header, lower-case, without its port (`[::1]:8080` → `[::1]`). */
export function hostName(header: string): string {
  const lower = header.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.indexOf(':');
  return colon >= 0 ? lower.slice(0, colon) : lower;
}

/**
 * 403 for a Host header outside `allowedHosts` (config.http.allowedHosts; empty: any host). Against DNS
 * rebinding: a page whose name was rebound to 127.0.0.1 reaches a loopback gateway with its own name as Host.
 */
export function checkHost(allowedHosts: readonly string[]) {
  if (allowedHosts.length === 0) return (_req: Request, _res: Response, next: NextFunction) => next();
  const allowed = new Set(allowedHosts);
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('host');
    if (header !== undefined && allowed.has(hostName(header))) {
      next();
      return;
    }
    next(hostForbidden(header));
  };
}
