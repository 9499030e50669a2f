import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, postJson, useGateway } from '@gateway/testing';

/**
 * The operator console in a real headless Chromium against a running API and worker on a fake OpenRouter: log in,
 * make a key and copy its secret, call with it, find the calls in the request log and the spend chart, lower its
 * limits, rotate and revoke keys, watch a circuit open. Each view is kept as a screenshot (test-artifacts/console).
 *
 * The page is opened on http://127.0.0.1: Chromium takes the session's Secure cookie there (loopback addresses and
 * localhost are secure contexts), so the cookie stays Secure as it is in production.
 */
jest.setTimeout(180_000);

const adminToken = 'gw-console-browser-token-42';
const prices: Record<string, number> = { 'openai/gpt-4o': 0.02, 'thudm/glm-4-9b-chat': 0.003 };
const suite = useGateway({
  name: 'console-ui',
  openRouter: {
    apiKey: 'sk-or-console-ui',
    behave: (request) => {
      const model = String((request.body as { model?: unknown }).model);
      return { kind: 'reply', content: `answer from ${model}`, cost: prices[model] ?? 0.001 };
    },
  },
  env: () => {
    // A declared deployment with limits, to show capacity in use beside the providers' implicit ones.
    const file = join(mkdtempSync(join(tmpdir(), 'gw-console-')), 'gateway.yaml');
    writeFileSync(file, 'deployments:\n  - { id: mock-pool, provider: mock, models: ["*"], rpm: 600, tpm: 100000, max_concurrency: 8 }\n');
    return {
      GATEWAY_ADMIN_TOKEN: adminToken,
      GATEWAY_CONFIG_FILE: file,
      MOCK_PROVIDER_ENABLED: 'true',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_RESET_TIME_MS: '600000',
      PROVIDER_TIMEOUT_MS: '3000',
    };
  },
});
const artifacts = resolve(__dirname, '../../../../test-artifacts/console');
const adminApis = ['/admin/keys', '/admin/spend', '/admin/lanes', '/admin/providers', '/admin/requests', '/admin/session'];

let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
const state: { keyId?: string; secret?: string; cookie?: string } = {};

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.gateway.baseUrl });
  page = await watched(context);
});
afterAll(async () => {
  await browser?.close();
});
afterEach(() => {
  // No script error and nothing the CSP refused, on any page of any test (each test answers for its own).
  expect(problems.splice(0)).toEqual([]);
});

/** A page whose script errors and CSP refusals fail the test; confirm() dialogs are accepted. */
async function watched(on: BrowserContext): Promise<Page> {
  const opened = await on.newPage();
  opened.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  opened.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(`csp: ${message.text()}`);
  });
  opened.on('dialog', (dialog) => void dialog.accept());
  return opened;
}

const url = (path: string) => `${suite.gateway.baseUrl}${path}`;
// A key's secret never reaches a screenshot (they are kept in docs/): its box is masked.
const shot = (on: Page, name: string, fullPage = false) =>
  on.screenshot({ path: join(artifacts, `${name}.png`), fullPage, mask: [on.locator('#secret-value')] });

async function open(on: Page, view: string) {
  await on.goto(url(`/admin#${view}`));
  await on.waitForSelector(`body[data-loaded="${view}"]`, { timeout: 30_000 });
}

/** The statuses the admin APIs answer to this page's own script (its cookie, if any, goes with them). */
function statusesFromPage(on: Page): Promise<number[]> {
  return on.evaluate((paths) => Promise.all(paths.map(async (path) => (await fetch(path)).status)), adminApis);
}

const client = (apiKey: string) => new OpenAI({ baseURL: url('/v1'), apiKey, maxRetries: 0 });
const ask = (apiKey: string, model: string) => client(apiKey).chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] });

describe('the operator console in a browser', () => {
  it('shows only its login without the token: every admin API refuses the page, and a wrong token is told so', async () => {
    const stranger = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const anonymous = await watched(stranger);
    await anonymous.goto(url('/admin'));
    await anonymous.waitForSelector('#login:not([hidden])');
    expect(await anonymous.isHidden('#tabs')).toBe(true);
    expect(await statusesFromPage(anonymous)).toEqual(adminApis.map(() => 401));
    const create = await anonymous.evaluate(async () => {
      const response = await fetch('/admin/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
      return response.status;
    });
    expect(create).toBe(401);
    await anonymous.fill('#login-token', 'not-the-admin-token');
    await anonymous.click('#login-form button[type=submit]');
    await anonymous.waitForSelector('#login-error:text("Wrong token.")');
    expect(anonymous.url()).toBe(url('/admin'));
    await shot(anonymous, 'login');
    await stranger.close();
  });

  it('logs in with the token into a Secure, HttpOnly, SameSite=Strict session cookie; the token is in no URL', async () => {
    await page.goto(url('/admin'));
    await page.fill('#login-token', adminToken);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('body[data-loaded="keys"]');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: '__Host-gw_admin', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    state.cookie = `${cookie!.name}=${cookie!.value}`;
    expect(page.url()).not.toContain(adminToken);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.inputValue('#login-token')).toBe('');
    expect(await statusesFromPage(page)).toEqual(adminApis.map(() => 200));
  });

  it('creates a key and copies its secret, shown this once', async () => {
    await page.fill('#key-create input[name=name]', 'search-team');
    await page.fill('#key-create input[name=daily_budget_usd]', '5');
    await page.fill('#key-create input[name=monthly_budget_usd]', '50');
    await page.fill('#key-create textarea[name=models]', 'openai/*, thudm/*');
    await page.click('#key-create button[type=submit]');
    await page.waitForSelector('#secret-box:not([hidden])');
    const shown = (await page.textContent('#secret-value'))!;
    expect(shown).toMatch(/^gwk_/);
    await page.click('#secret-copy');
    await page.waitForSelector('#secret-copied:text("Copied")');
    state.secret = await page.evaluate(() => navigator.clipboard.readText());
    expect(state.secret).toBe(shown);
    state.keyId = (await page.getAttribute('#keys-table tbody tr[data-key-id]', 'data-key-id'))!;
    await shot(page, 'keys-created');
    await page.click('#secret-done');
    expect(await page.textContent('#secret-value')).toBe('');
  });

  it('finds the calls made with the key in the request log, live, and one whole', async () => {
    await open(page, 'requests');
    await page.fill('#requests-filters input[name=key_id]', state.keyId!);
    await page.click('#requests-filters button[type=submit]');
    await page.waitForSelector('#requests-table td:text("No request matches.")');
    await ask(state.secret!, 'openai/gpt-4o');
    await ask(state.secret!, 'openai/gpt-4o');
    await ask(state.secret!, 'thudm/glm-4-9b-chat');
    // A model outside its allow-list: refused, and logged so.
    await expect(ask(state.secret!, 'mock/anything')).rejects.toMatchObject({ status: 403 });
    // Live refresh brings them in without a click.
    await page.waitForFunction(() => document.querySelectorAll('#requests-table tbody tr[data-entry-id]').length === 4, undefined, { timeout: 30_000 });
    expect(await page.textContent('#requests-table tbody tr:first-child')).toContain('403');
    await page.click('#requests-table tbody tr:nth-child(2)');
    const detail = (await page.textContent('#request-detail dl'))!;
    for (const text of ['/v1/chat/completions', 'thudm/glm-4-9b-chat', 'openrouter', state.keyId!, '$0.00300']) expect(detail).toContain(text);
    await shot(page, 'requests');
  });

  it('charts the spend by model and by key over the last 30 days, from GET /admin/spend', async () => {
    await open(page, 'spend');
    const rows = await page.$$eval('#spend-table tbody tr', (trs) => trs.map((tr) => tr.textContent));
    expect(rows).toEqual(['openai/gpt-4o$0.0400', 'thudm/glm-4-9b-chat$0.00300']);
    const daily = await page.evaluate(() => {
      const chart = (
        window as unknown as { Chart: { getChart(id: string): { data: { labels: string[]; datasets: { label: string; data: number[] }[] } } } }
      ).Chart.getChart('spend-daily');
      return { days: chart.data.labels.length, datasets: chart.data.datasets.map((set) => [set.label, set.data[set.data.length - 1]]) };
    });
    expect(daily).toEqual({
      days: 30,
      datasets: [
        ['openai/gpt-4o', 0.04],
        ['thudm/glm-4-9b-chat', 0.003],
      ],
    });
    await page.selectOption('#spend-controls select[name=by]', 'by_key');
    await page.waitForFunction((name) => document.querySelector('#spend-table tbody')?.textContent?.includes(name), `search-team (${state.keyId})`);
    await shot(page, 'spend');
  });

  it("shows the key's spend against its budgets, and lowers its limits and allow-list in place", async () => {
    await open(page, 'keys');
    const row = `#keys-table tr[data-key-id="${state.keyId}"]`;
    expect(await page.textContent(`${row} td:nth-child(4)`)).toContain('$0.0430 of $5.00');
    expect(await page.textContent(`${row} td:nth-child(5)`)).toContain('$0.0430 of $50.00');
    await page.click(`${row} button:text("Edit")`);
    await page.fill('#key-edit-form input[name=daily_budget_usd]', '2');
    await page.fill('#key-edit-form textarea[name=models]', 'openai/*');
    await page.click('#key-edit-form button[value=save]');
    await page.waitForFunction((selector) => document.querySelector(selector)?.textContent?.includes('of $2.00'), `${row} td:nth-child(4)`);
    const key = await (await fetch(url(`/admin/keys/${state.keyId}`), { headers: { authorization: `Bearer ${adminToken}` } })).json();
    expect(key).toMatchObject({ daily_budget_usd: 2, monthly_budget_usd: 50, models: ['openai/*'] });
    await expect(ask(state.secret!, 'thudm/glm-4-9b-chat')).rejects.toMatchObject({ status: 403 });
    await shot(page, 'keys');
  });

  it('rotates a key (the old secret stops, the new one works) and revokes one (its next call is refused)', async () => {
    await page.fill('#key-create input[name=name]', 'batch-team');
    await page.click('#key-create button[type=submit]');
    await page.waitForSelector('#secret-value:text("gwk_")');
    const first = (await page.textContent('#secret-value'))!;
    await page.click('#secret-done');
    const row = await page.waitForSelector('#keys-table tr:has-text("batch-team")');
    await (await row.$('button:text("Rotate")'))!.click();
    await page.waitForSelector('#secret-title:text("rotated")');
    const rotated = (await page.textContent('#secret-value'))!;
    expect(rotated).not.toBe(first);
    await expect(ask(first, 'openai/gpt-4o')).rejects.toMatchObject({ status: 401 });
    expect((await ask(rotated, 'openai/gpt-4o')).choices[0]?.message.content).toBe('answer from openai/gpt-4o');
    await page.click('#secret-done');

    expect((await ask(state.secret!, 'openai/gpt-4o')).choices[0]?.message.content).toBe('answer from openai/gpt-4o');
    await page.click(`#keys-table tr[data-key-id="${state.keyId}"] button:text("Revoke")`);
    await page.waitForSelector(`#keys-table tr[data-key-id="${state.keyId}"] .badge.bad:text("revoked")`);
    await expect(ask(state.secret!, 'openai/gpt-4o')).rejects.toMatchObject({ status: 401 });
  });

  it("shows a provider's circuit open once its upstream fails, with what it said, beside the lanes and Bull Board", async () => {
    await open(page, 'providers');
    expect(await page.textContent('#providers-table tr[data-provider="openrouter"]')).toContain('closed');
    // The mock provider's one deployment is the file's: its circuit is read from there, and says so.
    expect(await page.textContent('#providers-table tr[data-provider="mock"]')).toContain('1 deployment, none out');
    suite.fake.setBehaviour(() => ({ kind: 'status', status: 503, body: { error: { message: 'fake upstream is down', code: 503 } } }));
    for (let index = 0; index < 2; index += 1) {
      const failed = await postJson(
        url('/v1/chat/completions'),
        { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${adminToken}` },
      );
      expect(failed.status).toBe(502);
    }
    for (let index = 0; index < 3; index += 1) {
      const pooled = await postJson(
        url('/v1/chat/completions'),
        { model: 'mock/pool', messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${adminToken}` },
      );
      expect(pooled.status).toBe(200);
    }
    // The view refreshes itself.
    await page.waitForSelector('#providers-table tr[data-provider="openrouter"] .badge.bad:text("open")', { timeout: 30_000 });
    await page.waitForSelector('#deployments-table tr[data-deployment="mock-pool"] td:text("3 / 600")', { timeout: 30_000 });
    await page.waitForSelector('#deployments-table tr[data-deployment="openrouter"] ul.errors li:has-text("fake upstream is down")', { timeout: 30_000 });
    expect(await page.textContent('#deployments-table tr[data-deployment="openrouter"] ul.errors')).toContain('upstream_error 503');
    expect(await page.$$eval('#lanes-table tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent))).toEqual([
      'interactive',
      'job',
      'batch',
    ]);
    expect(await page.getAttribute('#bull-board', 'href')).toBe('/admin/queues');
    await shot(page, 'providers', true);
    // The session opens Bull Board too (no second login).
    const board = await watched(context);
    expect((await board.goto(url('/admin/queues')))?.status()).toBe(200);
    await board.close();
  });

  it('fits a 1280x800 screen and a narrow one: no view scrolls sideways, tables scroll in their boxes', async () => {
    const views = ['keys', 'spend', 'requests', 'providers'];
    for (const view of views) {
      await open(page, view);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    }
    const narrow = await watched(context);
    await narrow.setViewportSize({ width: 390, height: 844 });
    for (const view of views) {
      await open(narrow, view);
      expect(await narrow.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(await narrow.isVisible(`#tabs a[data-view="${view}"]`)).toBe(true);
      await shot(narrow, `narrow-${view}`, true);
    }
    await narrow.close();
  });

  it('logs out: the session ends everywhere, and its cookie opens nothing any more', async () => {
    await open(page, 'keys');
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    expect(await statusesFromPage(page)).toEqual(adminApis.map(() => 401));
    for (const path of adminApis) expect((await fetch(url(path), { headers: { cookie: state.cookie! } })).status).toBe(401);
  });
});
