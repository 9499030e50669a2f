import { Queue, type Job } from 'bullmq';
import { loadConfig, type Config } from '@gateway/config';
import { replyMessageSchema, type ChatJobData, type ChatJobResult, type ReplyMessage } from '@gateway/contracts';
import { createBatchCaps, createBudget, createProviderPacer, loadPricingTable, pricesFromTable, type JobBilling } from '@gateway/limits';
import { createLogger, createMetrics } from '@gateway/observability';
import { bullPrefix, createRedisConnection, limitsPrefix, queueKeys, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { createProviderRegistry, type ProviderRegistry } from '@gateway/providers';
import {
  startFakeOllama,
  startFakeOpenRouter,
  startProcessorWorker,
  startRedis,
  uniquePrefix,
  waitFor,
  type FakeOllama,
  type FakeOpenRouter,
  type OpenRouterBehaviour,
  type TestRedis,
} from '@gateway/testing';
import { createChatProcessor } from './chat-processor';

/**
 * The chat processor on its own: a real BullMQ worker on a real Redis runs it against fake upstreams; the spec
 * adds jobs as the API does and watches what the processor publishes, bills and leaves in the job.
 */
const INSTANCE = 'api-under-test';

let redis: TestRedis;
let openrouter: FakeOpenRouter;
let ollama: FakeOllama;
let config: Config;
let prefix: QueuePrefix;
let publisher: RedisClient;
let subscriber: RedisClient;
let registry: ProviderRegistry;
let billing: JobBilling;
let queue: Queue<ChatJobData, ChatJobResult>;
let cancelled: Set<string>;
const replies: ReplyMessage[] = [];
const replyData: string[] = [];
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  [redis, openrouter, ollama] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: 'sk-or-proc' }), startFakeOllama()]);
  config = loadConfig({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('processor'),
    LLM_PROVIDER: 'openrouter',
    LLM_FALLBACKS: 'ollama',
    OPENROUTER_API_KEY: 'sk-or-proc',
    OPENROUTER_BASE_URL: openrouter.baseUrl,
    OLLAMA_BASE_URL: ollama.url,
    PROVIDER_TIMEOUT_MS: '2000',
    LLM_DAILY_BUDGET_USD: '10',
    PROVIDER_RPM: 'ollama=1',
    LOG_LEVEL: 'silent',
  });
  prefix = bullPrefix(config);
  publisher = createRedisConnection(config, 'blocking', 'proc-publisher');
  subscriber = createRedisConnection(config, 'blocking', 'proc-subscriber');
  // An embeddings result's reply carries its `data` list after the envelope, on a line of its own.
  subscriber.on('message', (_channel: string, payload: string) => {
    const newline = payload.indexOf('\n');
    replies.push(replyMessageSchema.parse(JSON.parse(newline === -1 ? payload : payload.slice(0, newline))));
    if (newline !== -1) replyData.push(payload.slice(newline + 1));
  });
  await subscriber.subscribe(queueKeys.replyChannel(prefix, INSTANCE));
  registry = createProviderRegistry(config);
  const metrics = createMetrics({ app: 'worker', defaultMetrics: false });
  billing = {
    pricing: pricesFromTable(loadPricingTable(undefined)),
    budget: createBudget({ redis: publisher, prefix: limitsPrefix(config), dailyLimitUsd: 10, monthlyLimitUsd: 100, reservationTtlMs: 60_000 }),
    batchCaps: createBatchCaps({ redis: publisher, prefix: limitsPrefix(config), ttlSeconds: 600 }),
    pacer: createProviderPacer({ redis: publisher, prefix: limitsPrefix(config), rpm: config.pacing.rpm, maxPauseMs: config.pacing.maxPauseMs }),
    metrics,
  };
  cancelled = new Set();
  const processor = createChatProcessor({
    config,
    registry,
    publisher,
    prefix,
    logger: createLogger({ name: 'worker', level: 'silent' }),
    metrics,
    billing,
    wasCancelled: (id) => cancelled.has(id),
  });
  const started = await startProcessorWorker(config, processor, prefix, 'proc');
  queue = started.queue;
  stopWorker = started.stop;
});
afterAll(async () => {
  await stopWorker?.();
  await registry?.close();
  publisher?.disconnect();
  subscriber?.disconnect();
  await Promise.all([openrouter?.close(), ollama?.close()]);
  await redis?.stop();
});
beforeEach(() => {
  replies.length = 0;
  replyData.length = 0;
  openrouter.requests.length = 0;
  ollama.requests.length = 0;
});

let sequence = 0;
async function submit(fields: Partial<ChatJobData>, reserveUsd = 0.01): Promise<Job<ChatJobData, ChatJobResult>> {
  const id = `job-${(sequence += 1)}-${Date.now()}`;
  await billing.budget.reserve(id, reserveUsd);
  return queue.add(
    'chat',
    {
      request_id: `req-${id}`,
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello there' }],
      accepted_at: Date.now(),
      reply_to: INSTANCE,
      reserved_usd: reserveUsd,
      ...fields,
    },
    { jobId: id },
  );
}

async function settled(job: Job<ChatJobData, ChatJobResult>) {
  return waitFor(async () => {
    const state = await job.getState();
    if (state !== 'completed' && state !== 'failed') return undefined;
    const fresh = (await queue.getJob(job.id!))!;
    return { state, result: fresh.returnvalue, failedReason: fresh.failedReason };
  }, 10_000);
}

const repliesFor = (id: string) => replies.filter((reply) => reply.job_id === id);
const behave = (behaviour: OpenRouterBehaviour) => openrouter.setBehaviour(() => behaviour);

describe('chat processor on real Redis', () => {
  it('calls the provider, keeps the result in the job, bills the real cost and publishes the reply once', async () => {
    behave({ kind: 'tool-calls', calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], cost: 0.0042 });
    const before = (await billing.budget.usage()).day.spent_usd;
    const job = await submit({ tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }] });
    const outcome = await settled(job);
    expect(outcome?.state).toBe('completed');
    expect(outcome?.result).toMatchObject({
      provider: 'openrouter',
      finish_reason: 'tool_calls',
      cost_usd: 0.0042,
      tool_calls: [{ id: 'call_fake_0', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
    });
    await waitFor(async () => repliesFor(job.id!).length > 0 || undefined);
    expect(repliesFor(job.id!)).toEqual([{ kind: 'result', job_id: job.id, result: outcome!.result }]);
    const after = await billing.budget.usage();
    expect(after.day.spent_usd - before).toBeCloseTo(0.0042, 6);
    expect(openrouter.requests).toHaveLength(1);
  });

  it('sends the vectors of a sync embeddings request in its reply, as the data list text, and keeps them for a lookup', async () => {
    const input = ['one text', 'another text'];
    const job = await submit({
      kind: 'embeddings',
      model: 'openai/text-embedding-3-small',
      embeddings: { input, encoding_format: 'base64' },
    } as Partial<ChatJobData>);
    const { state, result } = await settled(job);
    expect(state).toBe('completed');
    expect(result.embeddings_stored).toEqual({ key: queueKeys.jobEmbeddings(prefix, job.id!), count: 2 });
    expect(result).not.toHaveProperty('embeddings');
    await waitFor(() => (repliesFor(job.id!).length === 1 ? true : undefined), 5000);
    const data = JSON.parse(replyData[0]!) as { object: string; index: number; embedding: string }[];
    expect(data.map((entry) => [entry.object, entry.index, typeof entry.embedding])).toEqual([
      ['embedding', 0, 'string'],
      ['embedding', 1, 'string'],
    ]);
    expect(repliesFor(job.id!)[0]).toMatchObject({ kind: 'result', result: { usage: { prompt_tokens: expect.any(Number) } } });
    // Kept as well: a reply lost with its API's connection is found again by the lookup that follows its resubscription.
    const stored = JSON.parse((await publisher.get(queueKeys.jobEmbeddings(prefix, job.id!)))!) as typeof data;
    expect(stored).toEqual(data);
  });

  it("names the key of a sync request's vectors in its reply when its API reads them from there: the vectors cross Redis once", async () => {
    const input = ['one text', 'another text'];
    const job = await submit({
      kind: 'embeddings',
      model: 'openai/text-embedding-3-small',
      embeddings: { input, encoding_format: 'base64' },
      reply_vectors: 'key',
    } as Partial<ChatJobData>);
    const { state } = await settled(job);
    expect(state).toBe('completed');
    await waitFor(() => (repliesFor(job.id!).length === 1 ? true : undefined), 5000);
    const key = queueKeys.jobEmbeddings(prefix, job.id!);
    expect(repliesFor(job.id!)[0]).toMatchObject({ kind: 'result', result: { embeddings_stored: { key, count: 2 } } });
    expect(repliesFor(job.id!)[0]).not.toHaveProperty('result.embeddings');
    // No data list after the reply's envelope.
    expect(replyData).toHaveLength(0);
    const stored = JSON.parse((await publisher.get(key))!) as { object: string; index: number; embedding: string }[];
    expect(stored.map((entry) => [entry.object, entry.index, typeof entry.embedding])).toEqual([
      ['embedding', 0, 'string'],
      ['embedding', 1, 'string'],
    ]);
  });

  it('keeps the vectors of a sync embeddings request whose reply reached no one', async () => {
    const input = ['one text', 'another text', 'a third'];
    const job = await submit({
      kind: 'embeddings',
      model: 'openai/text-embedding-3-small',
      embeddings: { input, encoding_format: 'float' },
      reply_to: 'an-instance-not-listening',
    } as Partial<ChatJobData>);
    const { state, result } = await settled(job);
    expect(state).toBe('completed');
    expect(result.embeddings_stored).toEqual({ key: queueKeys.jobEmbeddings(prefix, job.id!), count: 3 });
    const stored = JSON.parse((await publisher.get(queueKeys.jobEmbeddings(prefix, job.id!)))!) as { embedding: number[] }[];
    expect(stored.map((entry) => entry.embedding.length)).toEqual([1536, 1536, 1536]);
  });

  it('streams: numbered chunks with text and tool-call fragments, then the end, in order', async () => {
    behave({
      kind: 'tool-calls',
      content: 'Checking',
      calls: [
        { name: 'a', arguments: { x: 1 } },
        { name: 'b', arguments: { y: 2 } },
      ],
      interleave: true,
    });
    const job = await submit({
      stream: true,
      tools: [
        { type: 'function', function: { name: 'a' } },
        { type: 'function', function: { name: 'b' } },
      ],
    });
    const outcome = await settled(job);
    expect(outcome?.state).toBe('completed');
    await waitFor(async () => repliesFor(job.id!).some((reply) => reply.kind === 'stream-end') || undefined);
    const messages = repliesFor(job.id!);
    const chunks = messages.filter((reply) => reply.kind === 'chunk');
    expect(chunks.map((chunk) => chunk.seq)).toEqual(chunks.map((_, index) => index));
    expect(messages.at(-1)).toMatchObject({ kind: 'stream-end', seq: chunks.length, result: outcome!.result });
    const fragments = chunks.flatMap((chunk) => chunk.tool_calls ?? []);
    const joined = [0, 1].map((index) =>
      fragments
        .filter((fragment) => fragment.index === index)
        .map((fragment) => fragment.arguments)
        .join(''),
    );
    expect(joined).toEqual(['{"x":1}', '{"y":2}']);
    expect(chunks.map((chunk) => chunk.text).join('')).toBe('Checking');
    expect(outcome?.result?.tool_calls?.map((call) => call.function.arguments)).toEqual(joined);
  });

  it('fails over to the next provider when the first fails, and says which answered', async () => {
    behave({ kind: 'status', status: 503 });
    ollama.setBehaviour(() => ({ kind: 'reply', content: 'from ollama' }));
    const job = await submit({});
    const outcome = await settled(job);
    expect(outcome?.result).toMatchObject({ provider: 'ollama', content: 'from ollama' });
    expect(openrouter.requests).toHaveLength(1);
    expect(ollama.requests).toHaveLength(1);
  });

  it('a request the upstream refuses fails the job for good with the error type, publishes it and releases the reservation', async () => {
    behave({ kind: 'status', status: 400, body: { error: { message: 'bad field', code: 400 } } });
    const inFlight = async () => (await billing.budget.usage()).day.in_flight_usd;
    const job = await submit({}, 0.5);
    expect(await inFlight()).toBeGreaterThanOrEqual(0.5);
    const outcome = await settled(job);
    expect(outcome?.state).toBe('failed');
    expect(JSON.parse(outcome!.failedReason)).toMatchObject({ type: 'invalid_request' });
    await waitFor(async () => repliesFor(job.id!).length > 0 || undefined);
    expect(repliesFor(job.id!)[0]).toMatchObject({ kind: 'error', error: { type: 'invalid_request' } });
    expect(await inFlight()).toBeLessThan(0.5);
    // The caller's mistake is no reason to try another provider.
    expect(ollama.requests).toHaveLength(0);
  });

  it('a job cancelled before it started never reaches a provider and ends cancelled', async () => {
    behave({ kind: 'reply', content: 'never' });
    const id = `cancelled-${Date.now()}`;
    cancelled.add(id);
    await billing.budget.reserve(id, 0.01);
    const job = await queue.add(
      'chat',
      { request_id: 'r', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], accepted_at: Date.now(), reserved_usd: 0.01 },
      { jobId: id },
    );
    const outcome = await settled(job);
    expect(outcome?.state).toBe('failed');
    expect(JSON.parse(outcome!.failedReason)).toMatchObject({ message: expect.stringMatching(/cancel/i) });
    expect(openrouter.requests).toHaveLength(0);
  });

  it('a job whose only provider is at its request rate waits in the queue (delayed) instead of calling it', async () => {
    ollama.setBehaviour(() => ({ kind: 'reply', content: 'paced' }));
    const first = await submit({ model: 'ollama/llama3' });
    expect((await settled(first))?.state).toBe('completed');
    const second = await submit({ model: 'ollama/llama3' });
    await waitFor(async () => ((await second.getState()) === 'delayed' ? true : undefined), 5000);
    expect(ollama.requests).toHaveLength(1);
    await second.remove();
  });
});
