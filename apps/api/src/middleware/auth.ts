import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { KEY_SECRET_PREFIX, csrfRefused, missingCredentials, originForbidden, unauthorized, type GatewayError } from '@gateway/contracts';
import { cookieValue, SESSION_COOKIE, type ConsoleSessionRecord, type ConsoleSessions } from '../admin/console-sessions';
import type { KeyCache } from '../keys/key-cache';
import { hashSecret } from '../keys/key-store';
import { isSameOrigin, isUnsafeMethod } from './browser-guards';

declare module 'express-serve-static-core' {
  interface Request {
    /** The console session a request on /admin was authenticated by (its cookie), if any. */
    consoleSession?: ConsoleSessionRecord;
  }
}

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

/** The `x-api-key` header's token (Anthropic's way of sending a key), when there is one. */
const apiKeyHeader = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);

export interface AuthOptions {
  /** GATEWAY_AUTH_TOKEN: one static key under the global limits. */
  token: string | undefined;
  /** GATEWAY_ADMIN_TOKEN: the operator; the only credential of /admin/* when set. */
  adminToken: string | undefined;
  /** API keys (`gwk_…`), looked up by the hash of their secret. */
  keys: KeyCache;
  /** `admin`: the operator pages and APIs (basic auth accepted, keys never); `v1`: the agents' API. */
  scope: 'v1' | 'admin';
  /** Console logins (`admin` scope only): their cookie is a credential there, its changes guarded against CSRF. */
  sessions?: ConsoleSessions;
}

/** The hash of the token that opens /admin: the admin token, else the static one; undefined when neither is set. */
export function operatorTokenHash(options: Pick<AuthOptions, 'token' | 'adminToken'>): Buffer | undefined {
  return sha(options.adminToken) ?? sha(options.token);
}

/**
 * Why a request made with a console session's cookie may not change anything, if it may not: a foreign Origin, or no
 * (or a wrong) `X-CSRF-Token`. SameSite=Strict keeps the cookie off other sites' requests already; this holds even
 * where a browser does not honour it.
 */
export function csrfRefusal(req: Request, session: ConsoleSessionRecord): GatewayError | undefined {
  if (!isUnsafeMethod(req.method)) return undefined;
  const origin = req.get('origin');
  if (origin !== undefined && !isSameOrigin(origin, req.get('host'))) return originForbidden(origin);
  const presented = req.get('x-csrf-token');
  return presented !== undefined && tokenMatches(presented, sha256(session.csrfToken)) ? undefined : csrfRefused();
}

/**
 * A call a page's script made (fetch: `Sec-Fetch-Dest: empty`; the console also sends `X-Requested-With`), not a
 * navigation: it gets no basic-auth challenge, which would make the browser prompt for a password (or, headless,
 * stall) instead of letting the page show its login.
 */
const fromPageScript = (req: Request) => req.get('x-requested-with') !== undefined || req.get('sec-fetch-dest') === 'empty';

const sha = (token: string | undefined) => (token === undefined ? undefined : sha256(token));

/**
 * Mounted on path prefixes (`/v1`, `/admin`) before their routers, so every route under them is covered,
 * including routes added later; sets `req.caller`. On /v1: an API key, the admin token or the static token; with
 * neither token configured, anyone (an unknown `gwk_` key is still refused). On /admin: the admin token only (when
 * unset: the static token, or anyone when neither is set), or a console session's cookie (its changes with the
 * session's CSRF token). A failure is the 401 envelope plus a challenge.
 */
export function authenticate(options: AuthOptions) {
  const staticHash = sha(options.token);
  const adminHash = sha(options.adminToken);
  const open = staticHash === undefined && adminHash === undefined;
  const browser = options.scope === 'admin';
  const refuse = (req: Request, res: Response, next: NextFunction, presented: string | undefined, message?: string) => {
    res.setHeader(
      'www-authenticate',
      browser && !fromPageScript(req)
        ? 'Basic realm="LLM Gateway admin", charset="UTF-8"'
        : `Bearer realm="LLM Gateway${browser ? ' admin' : ''}"${presented === undefined ? '' : ', error="invalid_token"'}`,
    );
    next(presented === undefined && message === undefined ? missingCredentials() : unauthorized(message));
  };
  const matches = (presented: string, hash: Buffer | undefined) => hash !== undefined && tokenMatches(presented, hash);

  return (req: Request, res: Response, next: NextFunction) => {
    // Anthropic's clients send their key as `x-api-key`.
    const presented = presentedToken(req.get('authorization'), browser) ?? (browser ? undefined : apiKeyHeader(req.get('x-api-key')));
    const sessionId = browser ? cookieValue(req.get('cookie'), SESSION_COOKIE) : undefined;
    if (browser) {
      const operatorHash = adminHash ?? staticHash;
      if (operatorHash === undefined) req.caller = { kind: 'admin' };
      else if (presented !== undefined && matches(presented, operatorHash)) req.caller = { kind: 'admin' };
      else if (presented === undefined && sessionId !== undefined && options.sessions) return viaSession(req, res, next, options.sessions, sessionId);
      else return refuse(req, res, next, presented);
      return next();
    }
    if (presented !== undefined && presented.startsWith(KEY_SECRET_PREFIX)) {
      options.keys.find(hashSecret(presented)).then((key) => {
        if (!key) return refuse(req, res, next, presented, 'invalid or revoked key');
        if (key.expires_at !== null && Date.parse(key.expires_at) <= Date.now()) return refuse(req, res, next, presented, 'key expired');
        req.caller = { kind: 'key', key };
        next();
      }, next);
      return;
    }
    if (presented !== undefined && matches(presented, adminHash)) req.caller = { kind: 'admin' };
    else if (presented !== undefined && matches(presented, staticHash)) req.caller = { kind: 'static' };
    else if (open) req.caller = { kind: 'open' };
    else return refuse(req, res, next, presented);
    next();
  };

  function viaSession(req: Request, res: Response, next: NextFunction, sessions: ConsoleSessions, id: string) {
    sessions.find(id).then((session) => {
      if (!session) return refuse(req, res, next, undefined, 'console session expired or ended: log in again');
      const refusal = csrfRefusal(req, session);
      if (refusal) return next(refusal);
      req.caller = { kind: 'admin' };
      req.consoleSession = session;
      next();
    }, next);
  }
}
