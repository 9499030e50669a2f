import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { GatewayError } from '@gateway/contracts';

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Whether a presented token is the expected one; hashing first makes the comparison length-independent. */
export function tokenMatches(presented: string, expectedHash: Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedHash);
}

/**
 * The token a request presents: `Authorization: Bearer <token>`, or, where browsers are expected (`allowBasic`),
 * `Authorization: Basic base64(<any user>:<token>)`, since a browser cannot send a bearer header by itself.
 */
export function presentedToken(header: string | undefined, allowBasic: boolean): string | undefined {
  if (!header) return undefined;
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match) return undefined;
  const [, scheme = '', credentials = ''] = match;
  if (scheme.toLowerCase() === 'bearer') return credentials.trim();
  if (allowBasic && scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** Options of the authentication middleware. */
export interface AuthOptions {
  /** GATEWAY_AUTH_TOKEN; no token means no authentication. */
  token: string | undefined;
  /** Accept basic auth (token as password) and ask browsers for it (the operator pages). */
  browser?: boolean;
}

/**
 * Mounted on path prefixes (`/v1`, `/admin`) before their routers, so every route under them is covered,
 * including routes added later. A failure is the gateway's 401 envelope plus a WWW-Authenticate challenge.
 */
export function authenticate(options: AuthOptions) {
  const { token } = options;
  if (!token) return (_req: Request, _res: Response, next: NextFunction) => next();
  const expectedHash = sha256(token);
  const browser = options.browser ?? false;
  return (req: Request, res: Response, next: NextFunction) => {
    const presented = presentedToken(req.get('authorization'), browser);
    if (presented !== undefined && tokenMatches(presented, expectedHash)) {
      next();
      return;
    }
    res.setHeader(
      'www-authenticate',
      browser ? 'Basic realm="LLM Gateway admin", charset="UTF-8"' : `Bearer realm="LLM Gateway"${presented === undefined ? '' : ', error="invalid_token"'}`,
    );
    next(new GatewayError('unauthorized', presented === undefined ? 'missing credentials: send Authorization: Bearer <token>' : 'invalid token'));
  };
}
