import { adminProvidersViewSchema, consoleSessionSchema, lanesViewSchema, listedKeySchema, spendHistorySchema } from '@gateway/contracts';
import { postJson, useGateway, waitFor } from '@gateway/testing';

/** The console's login, its session and CSRF guards, and the admin APIs it reads, on a real API, worker and fake upstream. */
const adminToken = 'gw-console-admin-token-42';
const suite = useGateway({
  name: 'console-api',
  openRouter: { apiKey: 'sk-or-console', behave: () => ({ kind: 'reply', content: 'priced', cost: 0.02 }) },
  env: { GATEWAY_ADMIN_TOKEN: adminToken, CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_RESET_TIME_MS: '600000', PROVIDER_TIMEOUT_MS: '3000' },
});
const second = suite.addApi();
const admin = { authorization: `Bearer ${adminToken}` };
const cookieName = '__Host-gw_admin';

const url = (path: string, base = suite.gateway.baseUrl) => `${base}${path}`;
const get = (path: string, headers: Record<string, string> = {}, base?: string) => fetch(url(path, base), { headers });

async function login(base = suite.gateway.baseUrl): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const response = await fetch(url('/admin/login', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: adminToken }),
  });
  expect(response.status).toBe(200);
  const session = consoleSessionSchema.parse(await response.json());
  const setCookie = response.headers.get('set-cookie') ?? '';
  const id = new RegExp(`^${cookieName}=([^;]+);`).exec(setCookie)?.[1];
  expect(id).toBeDefined();
  return { cookie: `${cookieName}=${id}`, csrf: session.csrf_token!, setCookie };
}

describe('the console page', () => {
  it('is served to anyone (it holds no data) under a strict CSP, with its scripts and Chart.js from the same origin', async () => {
    const page = await get('/admin');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).toContain('/admin/console/app.js');
    // No inline script or style: everything is a file of the page's own origin.
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);

    const script = await get('/admin/console/app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const chart = await get('/admin/console/chart.umd.min.js');
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain('Chart.js v4');
  });

  it.each(['/admin/console/nothing.js', '/admin/console/..%2F..%2Fpackage.json', '/admin/console/.%2Fapp.js'])('answers 404 for %s', async (path) => {
    expect((await get(path)).status).toBe(404);
  });

  it('keeps everything else under /admin behind the token', async () => {
    expect((await get('/admin/console/')).status).toBe(401);
    expect((await get('/admin/console/app.js/more')).status).toBe(401);
  });
});

describe('without the admin token', () => {
  const reads = ['/admin/keys', '/admin/spend', '/admin/lanes', '/admin/providers', '/admin/requests', '/admin/session', '/admin/queues'];

  it.each(reads)('GET %s is refused: no credential, a wrong token, a forged or ended session, an agent key', async (path) => {
    const created = await postJson(url('/admin/keys'), { name: 'agent' }, admin);
    const agentKey = (created.body as { key: string }).key;
    const ended = await login();
    await fetch(url('/admin/logout'), { method: 'POST', headers: { cookie: ended.cookie, 'x-csrf-token': ended.csrf } });
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-the-admin-token' },
      { cookie: `${cookieName}=${'A'.repeat(43)}` },
      { cookie: ended.cookie },
      { authorization: `Bearer ${agentKey}` },
    ];
    for (const headers of attempts) {
      const response = await get(path, headers);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { type: string } }).error.type).toBe('unauthorized');
    }
  });

  it.each([
    ['POST', '/admin/keys'],
    ['PATCH', '/admin/keys/key_0000000000000000'],
    ['DELETE', '/admin/keys/key_0000000000000000'],
    ['POST', '/admin/logout'],
  ])('%s %s is refused', async (method, path) => {
    const response = await fetch(url(path), { method, headers: { 'content-type': 'application/json', cookie: `${cookieName}=${'B'.repeat(43)}` }, body: '{}' });
    expect(response.status).toBe(401);
  });

  it("challenges a browser with basic auth, but not the console's own calls (no password prompt over the page)", async () => {
    expect((await get('/admin/keys')).headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await get('/admin/keys', { 'sec-fetch-dest': 'document' })).headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await get('/admin/keys', { 'x-requested-with': 'gateway-console' })).headers.get('www-authenticate')).toBe('Bearer realm="LLM Gateway admin"');
    expect((await get('/admin/keys', { 'sec-fetch-dest': 'empty' })).headers.get('www-authenticate')).toBe('Bearer realm="LLM Gateway admin"');
  });
});

describe('logging in', () => {
  it('trades the token for a __Host- session cookie (Secure, HttpOnly, SameSite=Strict) and a CSRF token', async () => {
    const { setCookie, cookie } = await login();
    expect(setCookie).toMatch(/^__Host-gw_admin=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    const session = consoleSessionSchema.parse(await (await get('/admin/session', { cookie })).json());
    expect(session).toMatchObject({ via: 'session', csrf_token: expect.any(String) });
    expect(Date.parse(session.expires_at!) - Date.now()).toBeGreaterThan(28_000_000);
    expect(consoleSessionSchema.parse(await (await get('/admin/session', admin)).json())).toEqual({
      object: 'admin.session',
      via: 'token',
      csrf_token: null,
      expires_at: null,
    });
  });

  it('refuses a wrong token, a foreign page, a form post and a body without a token; the token never reaches the logs', async () => {
    const attempt = (body: string, headers: Record<string, string> = {}) =>
      fetch(url('/admin/login'), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const wrong = await attempt(JSON.stringify({ token: 'guessed-token-1234567' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect((await attempt(JSON.stringify({ token: adminToken }), { origin: 'http://localhost:3000' })).status).toBe(403);
    expect((await fetch(url('/admin/login'), { method: 'POST', body: new URLSearchParams({ token: adminToken }) })).status).toBe(415);
    expect((await attempt(JSON.stringify({ password: adminToken }))).status).toBe(400);
    expect((await attempt('not json')).status).toBe(400);
    await suite.gateway.api.waitForOutput(/console login refused/);
    expect(suite.gateway.api.output()).not.toContain('guessed-token-1234567');
    expect(suite.gateway.api.output()).not.toContain(adminToken);
  });
});

describe('a session', () => {
  it('reads freely, but changes only with its CSRF token and from its own origin', async () => {
    const { cookie, csrf } = await login();
    expect((await get('/admin/keys', { cookie })).status).toBe(200);
    const create = (headers: Record<string, string>) =>
      fetch(url('/admin/keys'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...headers },
        body: JSON.stringify({ name: 'csrf' }),
      });
    expect((await create({})).status).toBe(403);
    expect((await create({ 'x-csrf-token': `${csrf}x` })).status).toBe(403);
    // An origin CORS_ALLOWED_ORIGINS lists (its default) is still not the console's own.
    expect((await create({ 'x-csrf-token': csrf, origin: 'http://localhost:3000' })).status).toBe(403);
    expect((await create({ 'x-csrf-token': csrf, origin: suite.gateway.baseUrl })).status).toBe(201);
    // Another session's token does not do.
    const other = await login();
    expect((await create({ 'x-csrf-token': other.csrf })).status).toBe(403);
  });

  it('is accepted by every API instance, and a logout on one ends it on all', async () => {
    const { cookie, csrf } = await login();
    expect((await get('/admin/lanes', { cookie }, second.baseUrl)).status).toBe(200);
    const out = await fetch(url('/admin/logout', second.baseUrl), { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^__Host-gw_admin=; .*Max-Age=0$/);
    expect((await get('/admin/lanes', { cookie })).status).toBe(401);
    expect((await get('/admin/lanes', { cookie }, second.baseUrl)).status).toBe(401);
  });
});

describe('the admin APIs the console reads', () => {
  it("lists keys with their spend today and this month, and gives a key's spend per day by model and provider", async () => {
    const created = await postJson(url('/admin/keys'), { name: 'spender', daily_budget_usd: 5 }, admin);
    const key = created.body as { id: string; key: string };
    for (const model of ['openai/gpt-4o', 'openai/gpt-4o', 'thudm/glm-4-9b-chat']) {
      const answer = await postJson(
        url('/v1/chat/completions'),
        { model, messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${key.key}` },
      );
      expect(answer.status).toBe(200);
    }
    const listed = (await (await get('/admin/keys', admin)).json()) as { data: unknown[] };
    const spender = listed.data.map((entry) => listedKeySchema.parse(entry)).find((entry) => entry.id === key.id)!;
    expect(spender.spend.day).toMatchObject({ spent_usd: 0.06, budget_usd: 5, remaining_usd: 4.94 });
    expect(spender.spend.month).toMatchObject({ spent_usd: 0.06, budget_usd: null });

    const history = spendHistorySchema.parse(await (await get(`/admin/spend?days=7&key_id=${key.id}`, admin)).json());
    expect(history.data).toHaveLength(7);
    expect(history.total).toMatchObject({
      spent_usd: 0.06,
      jobs: 3,
      by_model: { 'openai/gpt-4o': 0.04, 'thudm/glm-4-9b-chat': 0.02 },
      by_provider: { openrouter: 0.06 },
    });
    expect(history.data[6]!.spent_usd).toBe(0.06);
    const gateway = spendHistorySchema.parse(await (await get('/admin/spend', admin)).json());
    expect(gateway.data).toHaveLength(30);
    expect(gateway.total.by_key?.[key.id]).toBe(0.06);
  });

  it.each([
    ['/admin/spend?days=0', 400],
    ['/admin/spend?days=41', 400],
    ['/admin/spend?days=abc', 400],
    ['/admin/spend?top=0', 400],
    ['/admin/spend?days=7&days=8', 400],
    ['/admin/spend?color=red', 400],
    ['/admin/spend?key_id=key_0000000000000000', 404],
    ['/admin/spend?key_id=../x', 404],
  ])('%s answers %s', async (path, status) => {
    const response = await get(path, admin);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { message: string } }).error.message).toEqual(expect.any(String));
  });

  it("shows each lane's depth and oldest job and the queues' counts, with Bull Board's address", async () => {
    const view = lanesViewSchema.parse(await (await get('/admin/lanes', admin)).json());
    expect(view.lanes.map((lane) => lane.lane)).toEqual(['interactive', 'job', 'batch']);
    expect(view.bull_board).toBe('/admin/queues');
    expect(Object.keys(view.queues).sort()).toEqual(['callbacks', 'chat', 'chat-batch', 'chat-job']);
    expect(view.queues['chat']!['completed']).toBeGreaterThan(0);
  });

  it('shows a circuit opened by failures, with what the upstream said (scrubbed of its key)', async () => {
    suite.fake.setBehaviour(() => ({ kind: 'echo-key', status: 503 }));
    for (let index = 0; index < 2; index += 1) {
      expect((await postJson(url('/v1/chat/completions'), { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, admin)).status).toBe(502);
    }
    const view = await waitFor(async () => {
      const read = adminProvidersViewSchema.parse(await (await get('/admin/providers', admin)).json());
      return read.recent_errors['openrouter']!.length === 2 ? read : undefined;
    });
    expect(view.providers.find((provider) => provider.id === 'openrouter')?.circuit.state).toBe('open');
    expect(view.recent_errors['openrouter']![0]).toMatchObject({ provider: 'openrouter', deployment: 'openrouter', model: 'openai/gpt-4o', status: 503 });
    expect(JSON.stringify(view.recent_errors)).not.toContain('sk-or-console');
    // Upstream text stays with the operator: /v1/providers has no such field.
    expect(await (await get('/v1/providers', admin)).json()).not.toHaveProperty('recent_errors');
  });
});
