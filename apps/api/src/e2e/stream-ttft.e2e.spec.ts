import { startFakeOpenRouter, startGateway, startRedis, postJson, postSse, uniquePrefix, type FakeOpenRouter, type GatewayProcesses, type TestRedis } from '@gateway/testing';

// A measurement, not a timed assertion: prints the time to first token the gateway adds over the upstream's own.
jest.setTimeout(120_000);

const messages = [{ role: 'user', content: 'Say hello' }];
const runs = 100;

let redis: TestRedis;
let fake: FakeOpenRouter;
let gateway: GatewayProcesses;

beforeAll(async () => {
  [redis, fake] = await Promise.all([startRedis(), startFakeOpenRouter({ apiKey: 'sk-or-ttft' })]);
  fake.setBehaviour(() => ({ kind: 'reply', content: 'Hello there, how are you today?' }));
  gateway = await startGateway({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('ttft'),
    LLM_PROVIDER: 'openrouter',
    OPENROUTER_API_KEY: 'sk-or-ttft',
    OPENROUTER_BASE_URL: fake.baseUrl,
  });
});
afterAll(async () => {
  await gateway?.stop();
  await fake?.close();
  await redis?.stop();
});

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function measure(url: string, body: unknown, headers: Record<string, string> = {}): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < runs + 10; index += 1) {
    const result = await postSse(url, body, { headers });
    expect(result.status).toBe(200);
    expect(result.firstEventMs).toBeDefined();
    if (index >= 10) times.push(result.firstEventMs!);
  }
  return times;
}

it(`measures the time to first token added by the gateway (median of ${runs} sequential streams)`, async () => {
  const direct = await measure(`${fake.baseUrl}/chat/completions`, { model: 'thudm/glm-4-9b-chat', messages, stream: true }, { authorization: 'Bearer sk-or-ttft' });
  const through = await measure(`${gateway.baseUrl}/v1/chat/stream`, { messages });
  const added = median(through) - median(direct);
  console.log(
    `time to first token: upstream direct median ${median(direct).toFixed(2)} ms, through the gateway ${median(through).toFixed(2)} ms, added ${added.toFixed(2)} ms (p90 through ${[...through].sort((a, b) => a - b)[Math.floor(runs * 0.9)]!.toFixed(2)} ms)`,
  );
  expect(through).toHaveLength(runs);

  // For scale, on the same machine at the same moment: what a synchronous /v1/chat adds over a direct call.
  const timeSync = async (call: () => Promise<{ status: number }>) => {
    const times: number[] = [];
    for (let index = 0; index < runs + 10; index += 1) {
      const started = performance.now();
      expect((await call()).status).toBe(200);
      if (index >= 10) times.push(performance.now() - started);
    }
    return median(times);
  };
  const syncDirect = await timeSync(() => postJson(`${fake.baseUrl}/chat/completions`, { model: 'm', messages }, { authorization: 'Bearer sk-or-ttft' }));
  const syncThrough = await timeSync(() => postJson(`${gateway.baseUrl}/v1/chat`, { messages }));
  console.log(`for scale, /v1/chat: direct median ${syncDirect.toFixed(2)} ms, through the gateway ${syncThrough.toFixed(2)} ms, added ${(syncThrough - syncDirect).toFixed(2)} ms`);
});
