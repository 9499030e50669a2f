import { postJson, startApi, startGateway, startRedis, uniquePrefix, type AppProcess, type GatewayProcesses, type TestRedis } from '@gateway/testing';

const messages = [{ role: 'user', content: 'hi' }];
const token = 'caller-rate-static-token';
const auth = { authorization: `Bearer ${token}` };

/**
 * Rotating agent_id must not escape the rate limit: the static token and the open gateway each have a caller-wide
 * bucket above their agents' buckets (GATEWAY_CALLER_RATE_RPS / _BURST).
 */
describe('the caller-wide bucket above the agents', () => {
  const agentBurst = 5;
  const callerBurst = 20;
  const callerRps = 1;
  // The static token's caller refills one request in 20 s: the fresh agent's call after the burst is refused however
  // long a loaded machine takes to send the burst (at 1 rps a slow burst left a token for it).
  const staticCallerRps = 0.05;
  let redis: TestRedis;
  let gateway: GatewayProcesses;
  let open: { baseUrl: string; process: AppProcess };
  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: uniquePrefix('caller-rate'),
      LLM_PROVIDER: 'mock',
      GATEWAY_RATE_RPS: '0.5',
      GATEWAY_RATE_BURST: String(agentBurst),
      GATEWAY_CALLER_RATE_RPS: String(callerRps),
      GATEWAY_CALLER_RATE_BURST: String(callerBurst),
    };
    // The static token on one API (with the worker), the open gateway on another, one Redis.
    [gateway, open] = await Promise.all([startGateway({ ...env, GATEWAY_AUTH_TOKEN: token, GATEWAY_CALLER_RATE_RPS: String(staticCallerRps) }), startApi(env)]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), open?.process.stop()]);
    await redis?.stop();
  });

  it('bounds 20 rotating agent ids of the static token by the caller burst, with Retry-After', async () => {
    const agents = 20;
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: agents * agentBurst }, (_, index) =>
        postJson(`${gateway.baseUrl}/v1/chat`, { agent_id: `rotating-${index % agents}`, messages, model: 'mock/echo' }, auth),
      ),
    );
    const elapsedSeconds = (Date.now() - started) / 1000;
    const accepted = results.filter((result) => result.status === 200).length;
    const refused = results.filter((result) => result.status === 429);
    const bound = callerBurst + Math.floor(staticCallerRps * elapsedSeconds);
    process.stdout.write(
      `rotating agent ids (static token): ${accepted} accepted, ${refused.length} refused of ${results.length} in ${elapsedSeconds.toFixed(2)} s; caller bound ${bound}, agents' bound ${agents * agentBurst}\n`,
    );
    expect(accepted).toBeGreaterThanOrEqual(callerBurst);
    expect(accepted).toBeLessThanOrEqual(bound);
    expect(accepted + refused.length).toBe(results.length);
    for (const result of refused) {
      expect(result.body).toMatchObject({ error: { type: 'rate_limited', message: expect.stringContaining('caller') } });
      expect(Number(result.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // A fresh agent of the same caller is refused too; the open gateway's caller has its own bucket.
    expect((await postJson(`${gateway.baseUrl}/v1/chat`, { agent_id: 'fresh', messages, model: 'mock/echo' }, auth)).status).toBe(429);
    expect((await postJson(`${open.baseUrl}/v1/jobs`, { agent_id: 'fresh', messages, model: 'mock/echo' })).status).toBe(202);

    const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/gateway_rate_limit_rejections_total\{[^}]*limit="caller_rate"[^}]*\} [1-9]/);
  });

  it('bounds a batch of 200 distinct agent ids of the open gateway by the caller bucket', async () => {
    const batch = (tag: string, size: number) =>
      postJson(
        `${open.baseUrl}/v1/batches`,
        Array.from({ length: size }, (_, index) => ({ agent_id: `${tag}-${index}`, messages, model: 'mock/echo' })),
      );
    // A batch larger than the burst is admitted from a full bucket (as a key's is) and leaves it in debt for every request.
    // The first test took one token of the open caller's bucket: full again after a second.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const first = await batch('first', 200);
    expect(first.status).toBe(202);
    const second = await batch('second', 200);
    process.stdout.write(
      `batches of 200 distinct agent ids (open gateway): first ${first.status}, second ${second.status} Retry-After ${second.headers.get('retry-after')}\n`,
    );
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ error: { type: 'rate_limited', message: expect.stringContaining('caller') } });
    // 180 tokens of debt, then a full bucket (20) for a batch larger than the burst, at 1/s.
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(150);
    const single = await postJson(`${open.baseUrl}/v1/chat`, { agent_id: 'another', messages, model: 'mock/echo' });
    expect(single.status).toBe(429);
  });
});
