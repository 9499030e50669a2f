import { batchCreatedSchema } from '@gateway/contracts';
import {
  postJson,
  spawnApp,
  startGateway,
  startRedis,
  stopAll,
  uniquePrefix,
  waitFor,
  type AppProcess,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

let redis: TestRedis;
let gateway: GatewayProcesses;
let env: Record<string, string>;

interface BatchBody {
  batch_id: string;
  total: number;
  done: boolean;
  counts: Record<string, number>;
  results?: Record<string, unknown>[];
}

async function getBatch(batchId: string, results = false): Promise<{ status: number; body: BatchBody }> {
  const response = await fetch(`${gateway.baseUrl}/v1/batches/${batchId}${results ? '?results=true' : ''}`);
  return { status: response.status, body: (await response.json()) as BatchBody };
}

async function untilDone(batchId: string, timeoutMs = 120_000, pollMs = 100): Promise<BatchBody> {
  return waitFor(
    async () => {
      const { body } = await getBatch(batchId);
      return body.done ? body : undefined;
    },
    timeoutMs,
    pollMs,
  );
}

beforeAll(async () => {
  redis = await startRedis();
  env = {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('batches'),
    LLM_PROVIDER: 'mock',
    LLM_DEFAULT_MODEL: 'mock/echo',
    BATCH_MAX_REQUESTS: '10000',
    GATEWAY_BODY_LIMIT_BYTES: '4096',
    CIRCUIT_FAILURE_THRESHOLD: '1000',
  };
  gateway = await startGateway(env);
});
afterAll(() => stopAll(gateway, redis));

describe('POST /v1/batches', () => {
  it('takes a JSON array, and reports counts and results with custom ids', async () => {
    const accepted = await postJson(`${gateway.baseUrl}/v1/batches`, [
      { custom_id: 'a', messages: [{ role: 'user', content: 'one' }] },
      { messages: [{ role: 'user', content: 'two' }], model: 'mock/x?fail=invalid_request', priority: 1 },
    ]);
    expect(accepted.status).toBe(202);
    const { batch_id: batchId, job_ids: jobIds } = accepted.body as { batch_id: string; job_ids: string[] };
    expect(jobIds).toEqual([`${batchId}-0`, `${batchId}-1`]);
    // The same object as OpenAI's batches.create answers (and GET /v1/batches/:id), the native fields beside it.
    expect(batchCreatedSchema.parse(accepted.body)).toMatchObject({
      id: batchId,
      object: 'batch',
      status: 'in_progress',
      request_counts: { total: 2 },
      batch_id: batchId,
      total: 2,
    });
    expect(await untilDone(batchId)).toMatchObject({ total: 2, counts: { queued: 0, active: 0, completed: 1, failed: 1, cancelled: 0 } });
    const { body } = await getBatch(batchId, true);
    expect(body.results).toEqual([
      { custom_id: 'a', job_id: jobIds[0], status: 'completed', result: expect.objectContaining({ content: 'Mock reply to: one' }) },
      { job_id: jobIds[1], status: 'failed', error: expect.objectContaining({ type: 'invalid_request' }) },
    ]);
    // Each request of a batch is a job of its own.
    expect(await (await fetch(`${gateway.baseUrl}/v1/jobs/${jobIds[0]}`)).json()).toMatchObject({ status: 'completed' });
  });

  it('takes JSONL in the OpenAI batch input format', async () => {
    const lines = [
      { custom_id: 'req-1', method: 'POST', url: '/v1/chat/completions', body: { model: 'mock/echo', messages: [{ role: 'user', content: 'first' }] } },
      {
        custom_id: 'req-2',
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'mock/echo', messages: [{ role: 'user', content: 'second' }], max_tokens: 2 },
      },
    ];
    const response = await fetch(`${gateway.baseUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/jsonl' },
      body: `${lines.map((line) => JSON.stringify(line)).join('\n')}\n\n`,
    });
    expect(response.status).toBe(202);
    const { batch_id: batchId } = (await response.json()) as { batch_id: string };
    await untilDone(batchId);
    const { body } = await getBatch(batchId, true);
    expect(body.results?.map((result) => [result['custom_id'], (result['result'] as { content: string }).content])).toEqual([
      ['req-1', 'Mock reply to: first'],
      ['req-2', 'Mock reply'],
    ]);
  });

  it.each([
    ['an empty array', 'application/json', '[]', 'no requests'],
    ['an object', 'application/json', '{"messages": []}', 'JSON array'],
    ['a bad request at index 1', 'application/json', JSON.stringify([{ messages: [{ role: 'user', content: 'x' }] }, { messages: [] }]), 'requests.1.messages'],
    ['a JSONL line that is not JSON', 'application/jsonl', '{"messages":[{"role":"user","content":"x"}]}\n{nope', 'line 2'],
    [
      'an OpenAI line with a wrong url',
      'application/jsonl',
      JSON.stringify({ custom_id: 'x', method: 'POST', url: '/v1/images/generations', body: { messages: [{ role: 'user', content: 'x' }] } }),
      'requests.0.url',
    ],
    ['malformed JSON', 'application/json', '[{"messages":', 'not valid JSON'],
  ])('refuses %s with 400', async (_label, type, body, message) => {
    const response = await fetch(`${gateway.baseUrl}/v1/batches`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request', message: expect.stringContaining(message) } });
  });

  it('refuses more requests than BATCH_MAX_REQUESTS', async () => {
    const items = Array.from({ length: 10_001 }, () => ({ messages: [{ role: 'user', content: 'x' }] }));
    const response = await postJson(`${gateway.baseUrl}/v1/batches`, items);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { message: expect.stringContaining('at most 10000') } });
  });

  it.each(['nope', 'wait', 'meta', '00000000-0000-4000-8000-000000000000-1'])('answers 404 for an unknown batch (%s)', async (id) => {
    const { status, body } = await getBatch(id);
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: { type: 'not_found' } });
  });
});

describe('a 10,000-request batch on the mock provider', () => {
  const items = Array.from({ length: 10_000 }, (_, index) => ({ custom_id: `c${index}`, messages: [{ role: 'user', content: `request ${index}` }] }));

  async function runBatch(label: string): Promise<void> {
    const started = performance.now();
    const accepted = await postJson(`${gateway.baseUrl}/v1/batches`, items);
    const enqueuedMs = performance.now() - started;
    expect(accepted.status).toBe(202);
    const { batch_id: batchId, job_ids: jobIds } = accepted.body as { batch_id: string; job_ids: string[] };
    expect(jobIds).toHaveLength(10_000);
    const done = await untilDone(batchId, 300_000, 250);
    const drainedMs = performance.now() - started;
    expect(done.counts).toEqual({ queued: 0, active: 0, completed: 10_000, failed: 0, cancelled: 0, expired: 0 });
    expect(Object.values(done.counts).reduce((sum, count) => sum + count, 0)).toBe(done.total);
    const { body } = await getBatch(batchId, true);
    expect(body.results).toHaveLength(10_000);
    expect(body.results?.[9_999]).toMatchObject({ custom_id: 'c9999', status: 'completed', result: { content: 'Mock reply to: request 9999' } });
    // Figures for the record (not asserted: the machine is shared).
    process.stdout.write(`[batch figures] ${label}: enqueue 10,000 in ${Math.round(enqueuedMs)} ms, drained in ${Math.round(drainedMs)} ms\n`);
  }

  it('completes with counts that add up (one worker)', async () => {
    await runBatch('1 worker');
  }, 300_000);

  it('completes with counts that add up (two workers)', async () => {
    const second: AppProcess = await spawnApp('worker', env);
    try {
      await runBatch('2 workers');
    } finally {
      await second.stop();
    }
  }, 300_000);
});
