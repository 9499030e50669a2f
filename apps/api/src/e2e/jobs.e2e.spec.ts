import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  postJson,
  startFakeOpenRouter,
  startFakeServer,
  startGateway,
  startRedis,
  uniquePrefix,
  waitFor,
  type FakeOpenRouter,
  type FakeServer,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';
import { lanePriority, priorityBand, queueNameOfJob } from '@gateway/queue';

const messages = [{ role: 'user', content: 'Say hello' }];

let redis: TestRedis;
let fake: FakeOpenRouter;
let receiver: FakeServer;
const CALLBACK_SECRET = 'jobs-e2e-callback-secret';
let gateway: GatewayProcesses;
let receiverAnswers: number[] = [];
const prefix = uniquePrefix('jobs');

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  return waitFor(probe, timeoutMs).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  }) as Promise<T>;
}

async function getJob(jobId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.baseUrl}/v1/jobs/${jobId}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const jobInStatus = (jobId: string, status: string) =>
  until(async () => ((await getJob(jobId)).body['status'] === status ? (await getJob(jobId)).body : undefined), `job ${jobId} ${status}`);

beforeAll(async () => {
  [redis, fake] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: 'sk-or-jobs' })]);
  receiver = await startFakeServer((_request, res) => {
    const status = receiverAnswers.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{}');
  });
  gateway = await startGateway({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    LLM_PROVIDER: 'openrouter',
    MOCK_PROVIDER_ENABLED: 'true',
    OPENROUTER_API_KEY: 'sk-or-jobs',
    OPENROUTER_BASE_URL: fake.baseUrl,
    // A host:port entry: a bare host allows ports 80/443 only.
    JOB_CALLBACK_ALLOWED_HOSTS: new URL(receiver.url).host,
    JOB_CALLBACK_SECRET: CALLBACK_SECRET,
    // Four slots per lane: the cancel tests fill every slot a job could run in.
    WORKER_CONCURRENCY: '4',
    // These suites make the mock fail on purpose: keep its circuit closed.
    CIRCUIT_FAILURE_THRESHOLD: '1000',
  });
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([fake?.close(), receiver?.close()]);
  await redis?.stop();
});

describe('asynchronous jobs', () => {
  it('accepts a job with 202 and reports it completed with its result', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: 'Async hello', cost: 0.00002 }));
    const accepted = await postJson(`${gateway.baseUrl}/v1/jobs`, { agent_id: 'batcher', messages, priority: 5 });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ job_id: expect.any(String), status: 'queued' });
    expect(accepted.headers.get('location')).toBe(`/v1/jobs/${(accepted.body as { job_id: string }).job_id}`);
    const done = await jobInStatus((accepted.body as { job_id: string }).job_id, 'completed');
    expect(done).toMatchObject({ result: { content: 'Async hello', provider: 'openrouter', cost_usd: 0.00002, usage: { total_tokens: 4 } } });
  });

  it('places work in its lane, a priority ordering it within the lane (clamped to 1–1000), ignored on interactive routes', async () => {
    const client = new Redis(redis.url);
    // Each job in its lane's queue, which its id names.
    const priorityOf = async (jobId: string) => Number(await client.hget(`${prefix}:${queueNameOfJob(jobId)}:${jobId}`, 'priority'));
    try {
      const job = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/echo', priority: 2_000_000 });
      const jobId = (job.body as { job_id: string }).job_id;
      expect(queueNameOfJob(jobId)).toBe('chat-job');
      const jobPriority = await priorityOf(jobId);
      expect(jobPriority).toBeGreaterThanOrEqual(lanePriority(priorityBand(1000), 0));
      const chat = await postJson(`${gateway.baseUrl}/v1/chat`, { messages, model: 'mock/echo', priority: 1 });
      expect(chat.status).toBe(200);
      expect(queueNameOfJob((chat.body as { job_id: string }).job_id)).toBe('chat');
      expect(await priorityOf((chat.body as { job_id: string }).job_id)).toBe(0);
      const batch = await postJson(`${gateway.baseUrl}/v1/batches`, [
        { messages, model: 'mock/echo', priority: 5000 },
        { messages, model: 'mock/echo', priority: 7 },
      ]);
      const [first, second] = (batch.body as { job_ids: string[] }).job_ids;
      const [firstPriority, secondPriority] = [await priorityOf(first!), await priorityOf(second!)];
      expect([queueNameOfJob(first!), queueNameOfJob(second!)]).toEqual(['chat-batch', 'chat-batch']);
      expect(firstPriority).toBeGreaterThan(0);
      // Priority 7 is a more urgent band than 5000 (clamped to 1000): it runs first.
      expect(secondPriority).toBeLessThan(firstPriority);
    } finally {
      await client.quit();
    }
  });

  it('reports a failed job with the gateway error', async () => {
    const accepted = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/x?fail=invalid_request' });
    const failed = await jobInStatus((accepted.body as { job_id: string }).job_id, 'failed');
    expect(failed).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining('mock') } });
  });

  it('answers 404 for an unknown or malformed job id, on GET and DELETE', async () => {
    // `wait`, `meta`, `events`… are BullMQ's own keys beside the jobs' hashes: reading one as a job answered 500.
    for (const id of ['no-such-job', 'bad%20id', 'wait', 'meta', 'events', 'prioritized', 'id', 'stalled-check', '00000000-0000-4000-8000-000000000000']) {
      const got = await getJob(id);
      expect([id, got.status, got.body]).toEqual([id, 404, { error: { type: 'not_found', message: expect.any(String), request_id: expect.any(String) } }]);
      const deleted = await fetch(`${gateway.baseUrl}/v1/jobs/${id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(404);
      expect(await deleted.json()).toMatchObject({ error: { type: 'not_found' } });
    }
  });

  it.each([
    ['no messages', { messages: [] }, 'messages'],
    ['a bad priority', { messages, priority: 0 }, 'priority'],
    ['a callback to a host not allowed', { messages, callback_url: 'http://169.254.169.254/latest' }, 'callback_url'],
    ['a callback that is not http', { messages, callback_url: 'file:///etc/passwd' }, 'callback_url'],
    ['a callback that is not a URL', { messages, callback_url: 'nonsense' }, 'callback_url'],
  ])('refuses %s with 400', async (_label, body, field) => {
    const response = await postJson(`${gateway.baseUrl}/v1/jobs`, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining(field) } });
  });

  it('cancels a queued job: it never runs', async () => {
    // Fill the worker's 4 slots with slow jobs so the next one waits in the queue.
    const blockers = await Promise.all(Array.from({ length: 4 }, () => postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/x?latency=3000' })));
    const accepted = await postJson(`${gateway.baseUrl}/v1/jobs`, {
      messages,
      model: 'mock/x?reply=should-not-run',
      callback_url: `${receiver.url}/cancelled`,
    });
    const jobId = (accepted.body as { job_id: string }).job_id;
    expect((await getJob(jobId)).body['status']).toBe('queued');
    const deleted = await fetch(`${gateway.baseUrl}/v1/jobs/${jobId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ job_id: jobId, status: 'cancelled' });
    const callback = await until(async () => receiver.requests.find((request) => request.path === '/cancelled'), 'cancel callback');
    expect(callback.body).toEqual({ job_id: jobId, status: 'cancelled' });
    for (const blocker of blockers) await jobInStatus((blocker.body as { job_id: string }).job_id, 'completed');
    expect((await getJob(jobId)).body).toEqual({ job_id: jobId, status: 'cancelled' });
  });

  it('cancels an active job: the upstream call is aborted', async () => {
    fake.setBehaviour(() => ({ kind: 'hang' }));
    const closedBefore = fake.closedConnections();
    const callsBefore = fake.requests.length;
    const accepted = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, callback_url: `${receiver.url}/aborted` });
    const jobId = (accepted.body as { job_id: string }).job_id;
    await jobInStatus(jobId, 'active');
    await until(async () => (fake.requests.length > callsBefore ? true : undefined), 'the upstream call');
    const deleted = await fetch(`${gateway.baseUrl}/v1/jobs/${jobId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    await until(async () => (fake.closedConnections() > closedBefore ? true : undefined), 'the upstream connection to close');
    const callback = await until(async () => receiver.requests.find((request) => request.path === '/aborted'), 'abort callback');
    expect(callback.body).toEqual({ job_id: jobId, status: 'cancelled' });
    expect((await getJob(jobId)).body['status']).toBe('cancelled');
    expect(gateway.workers[0]!.output()).toMatch(/"outcome":"cancelled","msg":"chat job cancelled"/);
  });

  it('leaves a finished job as it is on DELETE', async () => {
    const accepted = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/x' });
    const jobId = (accepted.body as { job_id: string }).job_id;
    await jobInStatus(jobId, 'completed');
    const deleted = await fetch(`${gateway.baseUrl}/v1/jobs/${jobId}`, { method: 'DELETE' });
    expect(await deleted.json()).toMatchObject({ status: 'completed', result: { provider: 'mock' } });
  });
});

describe('callbacks', () => {
  it('POSTs the result when done, retrying with backoff after a failed delivery', async () => {
    receiverAnswers = [500];
    const accepted = await postJson(`${gateway.baseUrl}/v1/jobs`, {
      messages,
      model: 'mock/x?reply=called back',
      callback_url: `${receiver.url}/done?token=abc`,
    });
    const jobId = (accepted.body as { job_id: string }).job_id;
    const deliveries = await until(async () => {
      const found = receiver.requests.filter((request) => request.path === '/done?token=abc');
      return found.length >= 2 ? found : undefined;
    }, 'two callback deliveries');
    expect(deliveries[1]!.method).toBe('POST');
    expect(deliveries[1]!.headers['content-type']).toBe('application/json');
    expect(deliveries[1]!.body).toMatchObject({ job_id: jobId, status: 'completed', result: { content: 'called back', provider: 'mock' } });
    // Signed: the receiver recomputes HMAC-SHA256("<t>.<body>") with the shared secret (the body as sent: compact JSON).
    const [, timestamp, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(deliveries[1]!.headers['x-gateway-signature'])) ?? [];
    expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(60);
    expect(mac).toBe(
      createHmac('sha256', CALLBACK_SECRET)
        .update(`${timestamp}.${JSON.stringify(deliveries[1]!.body)}`)
        .digest('hex'),
    );
  });

  it('POSTs the error of a failed job', async () => {
    const accepted = await postJson(`${gateway.baseUrl}/v1/jobs`, { messages, model: 'mock/x?fail=upstream_error', callback_url: `${receiver.url}/failed` });
    const callback = await until(async () => receiver.requests.find((request) => request.path === '/failed'), 'failure callback');
    expect(callback.body).toMatchObject({ job_id: (accepted.body as { job_id: string }).job_id, status: 'failed', error: { type: 'upstream_error' } });
  });
});
