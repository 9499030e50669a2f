import { Redis } from 'ioredis';
import { limitKeys } from '@gateway/limits';
import { limitsPrefixOf } from '@gateway/queue';
import { postJson, startGateway, startRedis, uniquePrefix, type GatewayProcesses, type TestRedis } from '@gateway/testing';

const STATIC = 'static-token-for-tenant-views';
const ADMIN = 'admin-token-for-tenant-views';
const messages = [{ role: 'user', content: 'hi' }];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** What the static token and the admin token each see of the other's work and of the keys' spend. */
describe('the static token is a tenant, not the operator', () => {
  let redis: TestRedis;
  let gateway: GatewayProcesses;
  let prefix: string;
  beforeAll(async () => {
    redis = await startRedis();
    prefix = uniquePrefix('tenant-views');
    gateway = await startGateway({ REDIS_URL: redis.url, QUEUE_PREFIX: prefix, LLM_PROVIDER: 'mock', GATEWAY_AUTH_TOKEN: STATIC, GATEWAY_ADMIN_TOKEN: ADMIN });
  });
  afterAll(async () => {
    await gateway?.stop();
    await redis?.stop();
  });

  const get = async (path: string, token: string) => {
    const response = await fetch(`${gateway.baseUrl}${path}`, { headers: bearer(token) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('/v1/usage shows the spend by key to the admin token only', async () => {
    // A key's spend today, as settlement books it (the day hash's `key:<id>` field).
    const client = new Redis(redis.url);
    const day = new Date().toISOString().slice(0, 10);
    await client.hset(limitKeys.daySpend(limitsPrefixOf(prefix), day), 'total', '2000000000', 'key:key_aaaaaaaaaaaaaaaa', '2000000000');
    await client.quit();
    const operator = await get('/v1/usage', ADMIN);
    expect(operator.body['day']).toMatchObject({ by_key: { key_aaaaaaaaaaaaaaaa: 2 } });
    const tenant = await get('/v1/usage', STATIC);
    expect(tenant.status).toBe(200);
    expect(tenant.body['day']).toMatchObject({ spent_usd: 2 });
    expect(tenant.body['day']).not.toHaveProperty('by_key');
    expect(tenant.body['month']).not.toHaveProperty('by_key');
  });

  it("the admin token's jobs and batches are not the static token's (404), the static token's are the admin's", async () => {
    const adminJob = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/echo' }, bearer(ADMIN));
    expect(adminJob.status).toBe(202);
    const adminJobId = (adminJob.body as { job_id: string }).job_id;
    expect((await get(`/v1/jobs/${adminJobId}`, ADMIN)).status).toBe(200);
    expect((await get(`/v1/jobs/${adminJobId}`, STATIC)).status).toBe(404);

    const adminBatch = await postJson(`${gateway.baseUrl}/v1/batches`, [{ messages, model: 'mock/echo' }], bearer(ADMIN));
    expect(adminBatch.status).toBe(202);
    const adminBatchId = (adminBatch.body as { batch_id: string }).batch_id;
    expect((await get(`/v1/batches/${adminBatchId}`, STATIC)).status).toBe(404);
    const listed = (await get('/v1/batches', STATIC)).body['data'] as { batch_id: string }[];
    expect(listed.map((batch) => batch.batch_id)).not.toContain(adminBatchId);

    const staticJob = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/echo' }, bearer(STATIC));
    const staticJobId = (staticJob.body as { job_id: string }).job_id;
    expect((await get(`/v1/jobs/${staticJobId}`, STATIC)).status).toBe(200);
    expect((await get(`/v1/jobs/${staticJobId}`, ADMIN)).status).toBe(200);
  });
});
