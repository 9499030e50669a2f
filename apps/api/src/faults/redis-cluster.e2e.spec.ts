import { Cluster, Redis } from 'ioredis';
import {
  callsFor,
  getSse,
  postJson,
  postSse,
  startFakeOpenRouter,
  startGateway,
  startRedisCluster,
  stopAll,
  submitJob,
  uniquePrefix,
  usageToday,
  waitFor,
  waitForFinished,
  type FakeOpenRouter,
  type GatewayProcesses,
  type TestRedisCluster,
} from '@gateway/testing';

// The gateway on a 3-master Redis Cluster: the queue prefix gets a hash tag (BullMQ keeps a queue in one slot),
// the breaker's Lua scripts touch one key each, pub/sub (reply and cancel channels) crosses nodes.
jest.setTimeout(120_000);

let cluster: TestRedisCluster;
let fake: FakeOpenRouter;
let gateway: GatewayProcesses;
const messages = [{ role: 'user', content: 'Hello cluster' }];
const prefix = uniquePrefix('cluster');

/** Keys under the gateway's (hash-tagged) prefix on each master. */
async function keysPerNode(): Promise<number[]> {
  return Promise.all(
    cluster.nodes.map(async (node) => {
      const [host, port] = node.split(':');
      const client = new Redis({ host: host!, port: Number(port), lazyConnect: true });
      await client.connect();
      const keys = await client.keys(`{${prefix}}*`);
      client.disconnect();
      return keys.length;
    }),
  );
}

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  fake = await startFakeOpenRouter({ apiKey: 'sk-or-cluster' });
  gateway = await startGateway(
    {
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      QUEUE_PREFIX: prefix,
      LLM_PROVIDER: 'openrouter',
      LLM_FALLBACKS: 'mock',
      OPENROUTER_API_KEY: 'sk-or-cluster',
      OPENROUTER_BASE_URL: fake.baseUrl,
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_RESET_TIME_MS: '600000',
      PROVIDER_TIMEOUT_MS: '3000',
      // One bucket per agent: the flood test below empties its own.
      GATEWAY_RATE_RPS: '1',
      GATEWAY_RATE_BURST: '40',
    },
    { workers: 2 },
  );
});
afterAll(() => stopAll(gateway, fake, cluster));

describe('on a Redis Cluster', () => {
  it('is healthy and answers synchronous chats from either worker', async () => {
    expect((await fetch(`${gateway.baseUrl}/healthz`)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 10 }, () => postJson(`${gateway.baseUrl}/v1/chat`, { messages })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(answers[0]!.body).toMatchObject({ content: 'Hello from the fake OpenRouter', provider: 'openrouter' });
    // Everything lives on the cluster, in the one slot of the prefix's hash tag.
    const counts = await keysPerNode();
    expect(counts.filter((count) => count > 0)).toHaveLength(1);
  });

  it('streams over the reply channel', async () => {
    const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages });
    expect(result.status).toBe(200);
    const text = result.events
      .filter((event): event is { content: string } => typeof event === 'object' && event !== null && 'content' in event)
      .map((event) => event.content)
      .join('');
    expect(text).toBe('Hello from the fake OpenRouter');
    expect(result.events.at(-1)).toMatchObject({ done: true });
  });

  it('runs asynchronous jobs and batches', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, (_, index) => submitJob(gateway.baseUrl, `job ${index}`)));
    const views = await waitForFinished(gateway.baseUrl, ids, 30_000);
    expect(views.map((view) => view.status)).toEqual(Array(5).fill('completed'));
    const batch = await postJson(`${gateway.baseUrl}/v1/batches`, [{ messages }, { messages, custom_id: 'b' }]);
    expect(batch.status).toBe(202);
    const batchId = (batch.body as { batch_id: string }).batch_id;
    await waitFor(async () => ((await (await fetch(`${gateway.baseUrl}/v1/batches/${batchId}`)).json()) as { done: boolean }).done, 30_000);
    // The lanes' scripts (rounds, a batch's end with its callback counting, listing) run in the queue's slot.
    const listed = (await (await fetch(`${gateway.baseUrl}/v1/batches`)).json()) as { data: { batch_id: string }[] };
    expect(listed.data.map((entry) => entry.batch_id)).toContain(batchId);
    const metrics = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^gateway_lane_jobs\{lane="batch",app="api"\} 0$/m);
  });

  it('cancels a stream whose client goes away (cancel channel)', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: Array.from({ length: 40 }, (_, index) => `w${index}`).join(' '), chunkDelayMs: 100 }));
    const before = fake.closedConnections();
    await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages }, { onEvent: (_event, index) => (index >= 2 ? 'abort' : undefined) });
    await waitFor(() => fake.closedConnections() > before, 15_000);
  });

  it('dedupes concurrent POSTs under one Idempotency-Key (admission and add in two steps here) and resumes a kept stream', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: 'once on the cluster', latencyMs: 300 }));
    const content = 'idempotent on the cluster';
    const before = await usageToday(gateway.baseUrl);
    const body = { agent_id: 'cluster-idem', messages: [{ role: 'user', content }] };
    const answers = await Promise.all(Array.from({ length: 4 }, () => postJson(`${gateway.baseUrl}/v1/chat`, body, { 'idempotency-key': 'cluster-key-1' })));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => (answer.body as { job_id: string }).job_id)).size).toBe(1);
    expect(callsFor(fake, content)).toBe(1);
    await waitFor(async () => (await usageToday(gateway.baseUrl)).in_flight_usd === 0, 15_000);
    expect((await usageToday(gateway.baseUrl)).jobs - before.jobs).toBe(1);
    expect((await postJson(`${gateway.baseUrl}/v1/chat`, { ...body, model: 'mock/other' }, { 'idempotency-key': 'cluster-key-1' })).status).toBe(409);

    fake.setBehaviour(() => ({ kind: 'reply', content: Array.from({ length: 20 }, (_, index) => `w${index}`).join(' '), chunkDelayMs: 50 }));
    const cut = await postSse(
      `${gateway.baseUrl}/v1/chat/stream`,
      { messages, resumable: true },
      { onEvent: (_event, index) => (index >= 4 ? 'abort' : undefined) },
    );
    const jobId = cut.headers.get('x-job-id')!;
    const rest = await getSse(`${gateway.baseUrl}/v1/jobs/${jobId}/stream`, { headers: { 'last-event-id': cut.ids.at(-1)! } });
    const text = [...cut.events, ...rest.events].map((event) => (event as { content?: string }).content ?? '').join('');
    expect(text).toBe(Array.from({ length: 20 }, (_, index) => `w${index}`).join(' '));
    expect(rest.events.at(-1)).toMatchObject({ done: true });
    // The kept stream lives in the prefix's slot like the rest.
    expect((await keysPerNode()).filter((count) => count > 0)).toHaveLength(1);
  });

  it('keeps a stored response (its outcome is written in the queue slot, apart from the settlement) and continues it', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: 'stored on the cluster' }));
    const first = await postJson(`${gateway.baseUrl}/v1/responses`, { input: 'Hello cluster' });
    expect(first.status).toBe(200);
    const { id, status } = first.body as { id: string; status: string };
    expect(status).toBe('completed');
    const outcomeKey = `{${prefix}}:outcome:${id.slice('resp_'.length)}`;
    const client = new Cluster(cluster.nodes.map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
    try {
      expect(JSON.parse((await client.get(outcomeKey)) ?? 'null')).toMatchObject({ state: 'completed', result: { content: 'stored on the cluster' } });
    } finally {
      client.disconnect();
    }
    const read = await fetch(`${gateway.baseUrl}/v1/responses/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, status: 'completed' });
    const next = await postJson(`${gateway.baseUrl}/v1/responses`, { input: 'and again', previous_response_id: id });
    expect(next.status).toBe(200);
    expect(next.body).toMatchObject({ status: 'completed', previous_response_id: id });
    expect((await keysPerNode()).filter((count) => count > 0)).toHaveLength(1);
  });

  it('enforces the rate limit and bills each job once (the limits scripts run in one slot)', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: 'billed' }));
    const before = await usageToday(gateway.baseUrl);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => postJson(`${gateway.baseUrl}/v1/chat`, { agent_id: 'flood', messages, model: 'thudm/glm-4-9b-chat' })),
    );
    const ok = answers.filter((answer) => answer.status === 200);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(ok.length + limited.length).toBe(50);
    expect(ok.length).toBeGreaterThanOrEqual(40);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.headers.get('retry-after')).toMatch(/^\d+$/);
    await waitFor(async () => (await usageToday(gateway.baseUrl)).in_flight_usd === 0, 15_000);
    const after = await usageToday(gateway.baseUrl);
    expect(after.jobs - before.jobs).toBe(ok.length);
    const billed = ok.reduce((sum, answer) => sum + (answer.body as { cost_usd: number }).cost_usd, 0);
    expect(billed).toBeCloseTo(ok.length * 0.00001, 9);
    expect(after.spent_usd - before.spent_usd).toBeCloseTo(billed, 9);
  });

  it('opens the shared circuit breaker and fails over to the fallback', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 503 }));
    const answers = [];
    for (let index = 0; index < 6; index += 1) answers.push(await postJson(`${gateway.baseUrl}/v1/chat`, { messages }));
    expect(answers.map((answer) => [answer.status, (answer.body as { provider?: string }).provider])).toEqual(Array(6).fill([200, 'mock']));
    type View = { providers: { id: string; circuit: { state: string }; skipped: number }[] };
    const openrouterView = async () =>
      ((await (await fetch(`${gateway.baseUrl}/v1/providers`)).json()) as View).providers.find((provider) => provider.id === 'openrouter')!;
    expect((await openrouterView()).circuit.state).toBe('open');
    // The workers write their counters every 250 ms.
    await waitFor(async () => (await openrouterView()).skipped >= 3, 5000);
  });
});
