import { Router, type Response } from 'express';
import { consoleLoginSchema, consoleNotInstalled, invalidRequest, notFound, originForbidden, unauthorized, type ConsoleSession } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import { tokenMatches } from '../middleware/auth';
import { isSameOrigin } from '../middleware/browser-guards';
import { jsonBody } from '../middleware/json-body';
import { parseBody } from '../validation';
import type { ConsoleAsset } from './console-assets';
import { sessionCookie, type ConsoleSessionRecord, type ConsoleSessions } from './console-sessions';

/** Where the console is served: the page at /admin, its files under /admin/console/. */
export const consolePath = '/admin';
export const consoleAssetsPath = '/admin/console';

/**
 * The console's Content-Security-Policy: scripts, styles and calls from the gateway's own origin only (no inline
 * script or style, no CDN), nothing framed, no form posted elsewhere.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function sendAsset(res: Response, asset: ConsoleAsset) {
  res.setHeader('content-security-policy', consoleContentSecurityPolicy);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cache-control', 'no-cache');
  res.type(asset.contentType).send(asset.body);
}

const sessionView = (via: ConsoleSession['via'], session: ConsoleSessionRecord | undefined): ConsoleSession => ({
  object: 'admin.session',
  via,
  csrf_token: session?.csrfToken ?? null,
  expires_at: session ? new Date(session.expiresAt).toISOString() : null,
});

export interface ConsoleRouteDeps {
  /** The page's files; undefined: not installed (GET /admin answers 404 saying so). */
  assets: ReadonlyMap<string, ConsoleAsset> | undefined;
  sessions: ConsoleSessions;
  /** The hash of the token that opens /admin (see operatorTokenHash); undefined: /admin is open. */
  operatorHash: Buffer | undefined;
  logger: Logger;
  /** The deepest nesting a body may have (GATEWAY_JSON_MAX_DEPTH). */
  maxJsonDepth: number;
}

/**
 * What the console needs before a login: the page and its files (they hold no data: every figure comes from the
 * admin APIs, called once logged in), and `POST /admin/login`, which trades the admin token for a session cookie
 * (`Secure`, `HttpOnly`, `SameSite=Strict`; the token is never in a URL nor kept by the page).
 */
export function consolePublicRoutes(deps: ConsoleRouteDeps): Router {
  const router = Router();
  router.get(consolePath, (_req, res) => {
    const page = deps.assets?.get('index.html');
    if (!page) throw consoleNotInstalled();
    sendAsset(res, page);
  });
  router.get(`${consoleAssetsPath}/:name`, (req, res) => {
    const asset = deps.assets?.get(req.params.name);
    if (!asset) throw notFound('console file', req.params.name, { maxIdChars: 64 });
    sendAsset(res, asset);
  });
  router.post(`${consolePath}/login`, jsonBody({ limit: 16 * 1024, maxDepth: deps.maxJsonDepth, type: ['application/json'] }), async (req, res) => {
    const origin = req.get('origin');
    if (origin !== undefined && !isSameOrigin(origin, req.get('host'))) throw originForbidden(origin);
    const { token } = parseBody(consoleLoginSchema, req.body);
    if (deps.operatorHash === undefined) throw invalidRequest('no admin token is set: the console is open without logging in');
    if (!tokenMatches(token, deps.operatorHash)) {
      deps.logger.warn({ requestId: req.id }, 'console login refused');
      res.setHeader('www-authenticate', 'Bearer realm="LLM Gateway admin", error="invalid_token"');
      throw unauthorized('wrong token');
    }
    const session = await deps.sessions.create();
    deps.logger.info({ requestId: req.id }, 'console login');
    res.setHeader('set-cookie', sessionCookie(session, deps.sessions.ttlSeconds));
    res.setHeader('cache-control', 'no-store');
    res.json(sessionView('session', session));
  });
  return router;
}

/**
 * Behind authentication: `GET /admin/session` (how this request was let in, and the session's CSRF token) and
 * `POST /admin/logout` (ends the session on every instance at once and clears the cookie).
 */
export function consoleSessionRoutes(deps: Pick<ConsoleRouteDeps, 'sessions' | 'operatorHash'>): Router {
  const router = Router();
  router.get(`${consolePath}/session`, (req, res) => {
    const via = req.consoleSession ? 'session' : deps.operatorHash === undefined ? 'open' : 'token';
    res.setHeader('cache-control', 'no-store');
    res.json(sessionView(via, req.consoleSession));
  });
  router.post(`${consolePath}/logout`, async (req, res) => {
    if (req.consoleSession) await deps.sessions.end(req.consoleSession.id);
    res.setHeader('set-cookie', sessionCookie(null, 0));
    res.status(204).end();
  });
  return router;
}
