import { postJson, startGateway, startRedis, uniquePrefix, waitFor, type GatewayProcesses, type TestRedis } from '@gateway/testing';

const messages = [{ role: 'user', content: 'hi' }];
const finishedLines = (output: string) => output.match(/"msg":"request finished"/g)?.length ?? 0;
const jobLines = (output: string) => output.match(/"msg":"chat job finished"/g)?.length ?? 0;

describe('buffered log lines (LOG_FLUSH_INTERVAL_MS, the production default)', () => {
  let redis: TestRedis;
  let gateway: GatewayProcesses;
  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startGateway({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('logs'), LLM_PROVIDER: 'mock', LOG_FLUSH_INTERVAL_MS: '100' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  it('writes buffered lines within the interval, and every line still buffered when the processes stop', async () => {
    expect((await postJson(`${gateway.baseUrl}/v1/chat`, { messages })).status).toBe(200);
    // Start-up lines came out (the harness waited for them); a request's lines follow within the interval.
    await waitFor(() => finishedLines(gateway.api.output()) >= 1 && jobLines(gateway.workers[0]!.output()) >= 1, 2000, 10);

    const answers = await Promise.all(Array.from({ length: 20 }, () => postJson(`${gateway.baseUrl}/v1/chat`, { messages })));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // Stopped at once: what was still in the buffers is written on the way out.
    await gateway.stop();
    expect(finishedLines(gateway.api.output())).toBe(21);
    expect(jobLines(gateway.workers[0]!.output())).toBe(21);
    expect(gateway.api.output()).toContain('"msg":"api stopped"');
  });
});
