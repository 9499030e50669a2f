import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { csrfRefusal } from '../middleware/auth';
import { consoleSessionKeys, cookieValue, createConsoleSessions, sessionCookie, SESSION_COOKIE } from './console-sessions';

const suite = useRedisSuite();

function sessionsAt(clock: () => number, ttlSeconds = 600) {
  const prefix = uniqueLimitsPrefix('console');
  return { prefix, sessions: createConsoleSessions({ redis: suite.client, prefix, ttlSeconds, clock }) };
}

describe('console sessions in Redis', () => {
  it('finds a session by its id, keeps only its hash in Redis, expires it with its TTL, and forgets it at logout', async () => {
    let now = Date.UTC(2026, 11, 7, 10, 0, 0);
    const { prefix, sessions } = sessionsAt(() => now);
    const session = await sessions.create();
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.csrfToken).not.toBe(session.id);
    expect(session.expiresAt).toBe(now + 600_000);
    expect(await sessions.find(session.id)).toEqual(session);

    const stored = consoleSessionKeys.session(prefix, createHash('sha256').update(session.id).digest('hex'));
    expect(await suite.client.ttl(stored)).toBeGreaterThan(590);
    expect(await suite.client.keys(`${prefix}:admin:session:*`)).toEqual([stored]);
    expect(await suite.client.get(stored)).not.toContain(session.id);

    // Past its end it is refused even before Redis drops it.
    now += 600_001;
    expect(await sessions.find(session.id)).toBeUndefined();
    now -= 600_001;
    await sessions.end(session.id);
    expect(await sessions.find(session.id)).toBeUndefined();
    expect(await suite.client.exists(stored)).toBe(0);
  });

  it('refuses ids it never gave, malformed ones and unreadable records', async () => {
    const { prefix, sessions } = sessionsAt(Date.now);
    expect(await sessions.find('x'.repeat(43))).toBeUndefined();
    expect(await sessions.find('../../etc')).toBeUndefined();
    const forged = 'A'.repeat(43);
    await suite.client.set(consoleSessionKeys.session(prefix, createHash('sha256').update(forged).digest('hex')), 'not json');
    expect(await sessions.find(forged)).toBeUndefined();
  });
});

describe('the session cookie', () => {
  it('is __Host-, Secure, HttpOnly, SameSite=Strict on / with its lifetime; a logout clears it', () => {
    const cookie = sessionCookie({ id: 'abc', csrfToken: 'c', expiresAt: 0 }, 600);
    expect(cookie).toBe(`${SESSION_COOKIE}=abc; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=600`);
    expect(SESSION_COOKIE.startsWith('__Host-')).toBe(true);
    expect(sessionCookie(null, 0)).toBe(`${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`);
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['other=1', undefined],
    [`${SESSION_COOKIE}=abc`, 'abc'],
    [`a=1; ${SESSION_COOKIE}=abc; b=2`, 'abc'],
    [`x${SESSION_COOKIE}=no; ${SESSION_COOKIE}=yes`, 'yes'],
  ])('is read from the Cookie header %s → %s', (header, expected) => {
    expect(cookieValue(header, SESSION_COOKIE)).toBe(expected);
  });
});

describe('CSRF checks of a session', () => {
  const session = { id: 'id', csrfToken: 'csrf-token-value', expiresAt: 0 };
  const request = (method: string, headers: Record<string, string>) => ({ method, get: (name: string) => headers[name.toLowerCase()] }) as unknown as Request;

  it('lets reads through without a token', () => {
    expect(csrfRefusal(request('GET', {}), session)).toBeUndefined();
    expect(csrfRefusal(request('HEAD', { origin: 'https://evil.example' }), session)).toBeUndefined();
  });

  it('asks a change for the session token, from the page’s own origin or none', () => {
    const own = { host: 'gw.example:8080', origin: 'https://gw.example:8080' };
    expect(csrfRefusal(request('POST', { ...own, 'x-csrf-token': 'csrf-token-value' }), session)).toBeUndefined();
    expect(csrfRefusal(request('DELETE', { host: 'gw.example', 'x-csrf-token': 'csrf-token-value' }), session)).toBeUndefined();
    expect(csrfRefusal(request('POST', own), session)).toMatchObject({ type: 'forbidden', message: expect.stringContaining('X-CSRF-Token') });
    expect(csrfRefusal(request('PATCH', { ...own, 'x-csrf-token': 'csrf-token-valuE' }), session)).toMatchObject({ type: 'forbidden' });
    expect(csrfRefusal(request('POST', { ...own, 'x-csrf-token': '' }), session)).toMatchObject({ type: 'forbidden' });
    expect(
      csrfRefusal(request('POST', { host: 'gw.example:8080', origin: 'http://localhost:3000', 'x-csrf-token': 'csrf-token-value' }), session),
    ).toMatchObject({ type: 'forbidden', message: expect.stringContaining('origin') });
  });
});
