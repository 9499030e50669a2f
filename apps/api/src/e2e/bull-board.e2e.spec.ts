import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, postJson, startGateway, startRedis, stopAll, uniquePrefix, type GatewayProcesses, type TestRedis } from '@gateway/testing';

jest.setTimeout(120_000);

const token = 'gw-bull-board-token-42';
const artifacts = resolve(__dirname, '../../../../test-artifacts');
const screenshotPath = join(artifacts, 'bull-board.png');

let redis: TestRedis;
let gateway: GatewayProcesses;
let browser: Browser;
let jobId: string;

beforeAll(async () => {
  redis = await startRedis();
  [gateway, browser] = await Promise.all([
    startGateway({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('board'), LLM_PROVIDER: 'mock', GATEWAY_AUTH_TOKEN: token }),
    launchChromium(),
  ]);
  const { status, body } = await postJson(
    `${gateway.baseUrl}/v1/chat`,
    { messages: [{ role: 'user', content: 'for the board' }], model: 'mock/board' },
    { authorization: `Bearer ${token}` },
  );
  expect(status).toBe(200);
  jobId = (body as { job_id: string }).job_id;
});
afterAll(() => stopAll(browser, gateway, redis));

describe('Bull Board in a browser', () => {
  it('is refused without credentials (the browser meets a basic-auth challenge it cannot answer)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await expect(page.goto(`${gateway.baseUrl}/admin/queues`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    await context.close();
  });

  it('is refused with a wrong password: 401 and no board', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'operator', password: 'not-the-token' } });
    const page = await context.newPage();
    const response = await page.goto(`${gateway.baseUrl}/admin/queues`);
    expect(response?.status()).toBe(401);
    expect(await page.content()).toContain('unauthorized');
    expect(await page.content()).not.toContain('LLM Gateway');
    await context.close();
  });

  it('shows the chat queue and the completed job to an operator with the token, and keeps a screenshot', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'operator', password: token }, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const response = await page.goto(`${gateway.baseUrl}/admin/queues`);
    expect(response?.status()).toBe(200);
    await page.getByText('chat', { exact: true }).first().waitFor({ timeout: 30_000 });
    await page.goto(`${gateway.baseUrl}/admin/queues/queue/chat?status=completed`);
    await page.getByText(jobId).first().waitFor({ timeout: 30_000 });
    await page.getByText('Mock reply to: for the board').first().waitFor({ timeout: 30_000 });
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: screenshotPath });
    expect(existsSync(screenshotPath)).toBe(true);
    await context.close();
  });
});
