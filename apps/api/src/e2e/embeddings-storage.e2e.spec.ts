import { Redis } from 'ioredis';
import { postJson, uniquePrefix, useGateway } from '@gateway/testing';

/**
 * Where an embeddings job's vectors live in Redis: once, under a key of their own with the result's retention, and
 * not in BullMQ's return value nor in its `completed` event (the queue's events stream keeps thousands of those).
 * Every reader of results joins them back; once they expired, a reader gets a clear error, never a partial list.
 */
const prefix = uniquePrefix('emb-store');
const suite = useGateway({
  name: 'embeddings-storage',
  prefix,
  openRouter: { apiKey: 'sk-or-store' },
  env: { GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000' },
});

const model = 'openai/text-embedding-3-small';
const input = ['the first text to embed', 'a second one', 'and a third'];
let admin: Redis;
beforeAll(() => {
  admin = new Redis(suite.redis.url);
});
afterAll(() => admin?.quit());

interface EmbeddingsAnswer {
  data: { index: number; embedding: string | number[] }[];
}

/** Embeds `input` through the gateway (sync), with the answer and its job id. */
async function embed(encoding: 'base64' | 'float', headers: Record<string, string> = {}) {
  const answer = await postJson(`${suite.gateway.baseUrl}/v1/embeddings`, { model, input, encoding_format: encoding }, headers);
  expect(answer.status).toBe(200);
  return { jobId: answer.headers.get('x-job-id')!, vectors: (answer.body as EmbeddingsAnswer).data.map((entry) => entry.embedding) };
}

/** The answer's `data` list of these vectors, as the vectors key keeps it. */
function dataList(vectors: (string | number[])[]) {
  return vectors.map((embedding, index) => ({ object: 'embedding', index, embedding }));
}

/** GET /v1/jobs/{id}: the job's view. */
async function jobView(jobId: string): Promise<{ body: unknown }> {
  return { body: await (await fetch(`${suite.gateway.baseUrl}/v1/jobs/${jobId}`)).json() };
}

/** The `completed` entry of a job in BullMQ's events stream of the chat queue. */
async function completedEvent(jobId: string): Promise<Record<string, string> | undefined> {
  const entries = await admin.xrange(`${prefix}:chat:events`, '-', '+');
  const events = entries.map(([, fields]) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]])));
  return events.find((event) => event['event'] === 'completed' && event['jobId'] === jobId);
}

describe('an embeddings job in Redis', () => {
  it('keeps its vectors once, apart: neither the return value nor the completed event holds them', async () => {
    const { jobId, vectors } = await embed('base64', { 'Idempotency-Key': `emb-kept-${Date.now()}` });
    expect(vectors).toHaveLength(3);
    const returnValue = (await admin.hget(`${prefix}:chat:${jobId}`, 'returnvalue'))!;
    const event = await completedEvent(jobId);
    expect(event).toBeDefined();
    for (const text of [returnValue, event!['returnvalue']!]) {
      expect(text).not.toContain((vectors[0] as string).slice(0, 64));
      expect(JSON.parse(text)).not.toHaveProperty('embeddings');
      expect(JSON.parse(text)).toMatchObject({ embeddings_stored: { key: `${prefix}:embeddings:${jobId}`, count: 3 } });
      expect(text.length).toBeLessThan(1000);
    }
    // The vectors key holds them, byte for byte, as the answer's data list, with the result's retention as its lifetime.
    expect(JSON.parse((await admin.get(`${prefix}:embeddings:${jobId}`))!)).toEqual(dataList(vectors));
    expect(await admin.ttl(`${prefix}:embeddings:${jobId}`)).toBeGreaterThan(0);
    // The job's view joins them back.
    const view = await jobView(jobId);
    expect(view.body).toMatchObject({ status: 'completed', result: { embeddings: vectors } });
    expect((view.body as { result: object }).result).not.toHaveProperty('embeddings_stored');
  });

  it('keeps the vectors of a request without an Idempotency-Key too: its job view joins them back', async () => {
    const { jobId, vectors } = await embed('float');
    expect(vectors).toHaveLength(3);
    expect((vectors[0] as number[]).length).toBe(1536);
    // Kept as well as sent: a reply lost with its API's connection is found again by the lookup after a resubscription.
    expect(JSON.parse((await admin.get(`${prefix}:embeddings:${jobId}`))!)).toEqual(dataList(vectors));
    const returnValue = (await admin.hget(`${prefix}:chat:${jobId}`, 'returnvalue'))!;
    expect(returnValue.length).toBeLessThan(1000);
    expect(JSON.parse(returnValue)).toEqual(expect.objectContaining({ embeddings_stored: { key: `${prefix}:embeddings:${jobId}`, count: 3 } }));
    const view = await jobView(jobId);
    expect(view.body).toMatchObject({ job_id: jobId, status: 'completed', result: { embeddings: vectors } });
  });

  it('sends a sync request its vectors through Redis once: the reply names their key, the API reads them from it', async () => {
    const listener = new Redis(suite.redis.url);
    const replies: Buffer[] = [];
    try {
      listener.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => replies.push(message));
      await listener.psubscribe(`${prefix}:reply:*`);
      const { jobId, vectors } = await embed('base64');
      expect(vectors).toHaveLength(3);
      const reply = replies.find((message) => message.toString('utf8').includes(jobId));
      expect(reply).toBeDefined();
      // The reply is the result naming the key, without a vector (each ~8 KB of base64).
      expect(reply!.length).toBeLessThan(1000);
      expect(JSON.parse(reply!.toString('utf8'))).toMatchObject({ kind: 'result', result: { embeddings_stored: { key: `${prefix}:embeddings:${jobId}` } } });
      // What the API answered is what the key keeps, byte for byte.
      expect(JSON.parse((await admin.get(`${prefix}:embeddings:${jobId}`))!)).toEqual(dataList(vectors));
    } finally {
      listener.disconnect();
    }
  });

  it('answers an idempotent replay with the same float vectors, number for number', async () => {
    const headers = { 'Idempotency-Key': `emb-replay-${Date.now()}` };
    const first = await embed('float', headers);
    const replay = await embed('float', headers);
    expect(replay.jobId).toBe(first.jobId);
    expect(replay.vectors).toEqual(first.vectors);
    expect((first.vectors[0] as number[]).length).toBe(1536);
  });

  it('says the vectors are past their retention once their key expired, never a partial or empty list', async () => {
    const headers = { 'Idempotency-Key': `emb-expired-${Date.now()}` };
    const { jobId } = await embed('base64', headers);
    await admin.pexpire(`${prefix}:embeddings:${jobId}`, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await admin.exists(`${prefix}:embeddings:${jobId}`)).toBe(0);
    const view = await jobView(jobId);
    expect(view.body).toMatchObject({ job_id: jobId, status: 'failed', error: { type: 'not_found', message: expect.stringContaining('retention') } });
    expect(view.body).not.toHaveProperty('result');
    const replay = await postJson(`${suite.gateway.baseUrl}/v1/embeddings`, { model, input, encoding_format: 'base64' }, headers);
    expect(replay.status).toBe(404);
    expect(replay.body).toMatchObject({ error: { message: expect.stringContaining('retention') } });
    expect(replay.body).not.toHaveProperty('data');
  });
});
