import { createHash, randomBytes } from 'node:crypto';
import type { LimitsPrefix, RedisClient } from '@gateway/queue';

/**
 * The console's session cookie. `__Host-`: the browser takes it only with `Secure`, `Path=/` and no `Domain`, so no
 * other host (a sibling subdomain) can set or shadow it.
 */
export const SESSION_COOKIE = '__Host-gw_admin';

/** The Redis keys of console sessions: one per session, named by the SHA-256 of its id (a dump of Redis opens none). */
export const consoleSessionKeys = {
  session: (prefix: LimitsPrefix, idHash: string) => `${prefix}:admin:session:${idHash}`,
};

/** A live session: the CSRF token its unsafe requests must send, and when it ends (Unix ms). */
export interface ConsoleSessionRecord {
  id: string;
  csrfToken: string;
  expiresAt: number;
}

const randomToken = () => randomBytes(32).toString('base64url');
const idPattern = /^[A-Za-z0-9_-]{43}$/;
const hashOf = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

/**
 * Console logins kept in Redis (so every API instance behind a load balancer accepts the same cookie), each expiring
 * on its own after `ttlSeconds`; a logout deletes it at once.
 */
export function createConsoleSessions(options: { redis: RedisClient; prefix: LimitsPrefix; ttlSeconds: number; clock?: () => number }) {
  const { redis, prefix, ttlSeconds } = options;
  const now = options.clock ?? Date.now;
  const keyOf = (id: string) => consoleSessionKeys.session(prefix, hashOf(id));
  return {
    ttlSeconds,
    async create(): Promise<ConsoleSessionRecord> {
      const session = { id: randomToken(), csrfToken: randomToken(), expiresAt: now() + ttlSeconds * 1000 };
      await redis.set(keyOf(session.id), JSON.stringify({ csrf: session.csrfToken, expires_at: session.expiresAt }), 'EX', ttlSeconds);
      return session;
    },
    /** The session a cookie names; undefined when it never was, has expired or was ended (or the id is malformed). */
    async find(id: string): Promise<ConsoleSessionRecord | undefined> {
      if (!idPattern.test(id)) return undefined;
      const text = await redis.get(keyOf(id));
      if (text === null) return undefined;
      try {
        const stored = JSON.parse(text) as { csrf?: unknown; expires_at?: unknown };
        if (typeof stored.csrf !== 'string' || typeof stored.expires_at !== 'number' || stored.expires_at <= now()) return undefined;
        return { id, csrfToken: stored.csrf, expiresAt: stored.expires_at };
      } catch {
        return undefined;
      }
    },
    async end(id: string): Promise<void> {
      if (idPattern.test(id)) await redis.del(keyOf(id));
    },
  };
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;

/** One cookie's value from a Cookie header (the first of that name), or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie value of a session (or, with `null`, of its removal). */
export function sessionCookie(session: ConsoleSessionRecord | null, ttlSeconds: number): string {
  const attributes = 'Path=/; Secure; HttpOnly; SameSite=Strict';
  return session === null ? `${SESSION_COOKIE}=; ${attributes}; Max-Age=0` : `${SESSION_COOKIE}=${session.id}; ${attributes}; Max-Age=${ttlSeconds}`;
}
