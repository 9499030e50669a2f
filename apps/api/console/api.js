// The admin APIs the console reads and changes, called with the session cookie (same origin). Every change carries
// the session's CSRF token, kept in this module's memory only (never in storage nor in a URL).

let csrfToken = null;
const loggedOutListeners = new Set();

export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

/** Called when an API answers 401 during a session (it expired, or was ended elsewhere). */
export function onLoggedOut(listener) {
  loggedOutListeners.add(listener);
}

async function call(method, path, { query, body } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  // X-Requested-With: a refusal then comes without a basic-auth challenge (no password prompt over the page).
  const headers = { accept: 'application/json', 'x-requested-with': 'gateway-console' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (response.status === 204) return undefined;
  const payload = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = new ApiError(response.status, payload?.error?.type ?? 'error', payload?.error?.message ?? `HTTP ${response.status}`);
    if (response.status === 401 && path !== '/admin/login') for (const listener of loggedOutListeners) listener(error);
    throw error;
  }
  return payload;
}

export const api = {
  get: (path, query) => call('GET', path, { query }),
  send: (method, path, body) => call(method, path, { body }),
  /** Trades the admin token for a session cookie; the token is not kept. */
  async login(token) {
    const session = await call('POST', '/admin/login', { body: { token } });
    csrfToken = session.csrf_token;
    return session;
  },
  /** How this page is let in (its session, or an open gateway), and the session's CSRF token. */
  async session() {
    const session = await call('GET', '/admin/session');
    csrfToken = session.csrf_token;
    return session;
  },
  async logout() {
    try {
      await call('POST', '/admin/logout');
    } finally {
      csrfToken = null;
    }
  },
};
