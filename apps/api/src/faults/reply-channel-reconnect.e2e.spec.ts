import { Redis } from 'ioredis';
import { postJson, postSse, startGateway, startRedis, uniquePrefix, type GatewayProcesses, type TestRedis } from '@gateway/testing';

jest.setTimeout(60_000);

let redis: TestRedis;
let gateway: GatewayProcesses;
let admin: Redis;

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  // Limits on: admission and enqueue are one script, as in production. A reply nobody recovers shows as a 504.
  gateway = await startGateway({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('rcreconnect'), LLM_PROVIDER: 'mock', CHAT_TIMEOUT_MS: '5000', GATEWAY_RATE_RPS: '100000', GATEWAY_RATE_BURST: '100000' });
});
afterAll(async () => {
  admin?.disconnect();
  await gateway?.stop();
  await redis?.stop();
});

/** Drops the API's reply-channel connection (ioredis reconnects and resubscribes by itself); false when none is connected. */
async function dropReplyConnection(): Promise<boolean> {
  const clients = (await admin.call('CLIENT', 'LIST')) as string;
  const line = clients.split('\n').find((entry) => / name=gw-api-replies /.test(entry));
  const id = line?.match(/^id=(\d+) /)?.[1];
  if (!id) return false;
  await admin.call('CLIENT', 'KILL', 'ID', id);
  return true;
}

describe('the reply channel dropped and resubscribed under load', () => {
  it('answers every sync call and every stream: a reply sent while it was down is found in the job, none is lost', async () => {
    let running = true;
    const outcomes: string[] = [];
    const syncCaller = async (caller: number) => {
      for (let call = 0; running; call += 1) {
        const reply = `sync-${caller}-${call}`;
        const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'hi' }], model: `mock/echo?latency=20&reply=${reply}` });
        outcomes.push(status === 200 && (body as { content?: string }).content === reply ? 'ok' : `${status} ${JSON.stringify(body)}`);
      }
    };
    const streamCaller = async (caller: number) => {
      for (let call = 0; running; call += 1) {
        const reply = `stream-${caller}-${call}`;
        const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content: 'hi' }], model: `mock/echo?latency=20&reply=${reply}` });
        const events = result.events as { done?: boolean; content?: string }[];
        const text = events.map((event) => event.content ?? '').join('');
        // A one-chunk answer: a chunk lost in transit is repaired from the result the stream's end carries.
        outcomes.push(result.status === 200 && events.at(-1)?.done === true && text === reply ? 'ok' : `${result.status} ${JSON.stringify(result.body ?? events.slice(-2))}`);
      }
    };
    const callers = [...Array.from({ length: 8 }, (_, index) => syncCaller(index)), ...Array.from({ length: 4 }, (_, index) => streamCaller(index))];

    let drops = 0;
    for (let round = 0; round < 20; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      if (await dropReplyConnection()) drops += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await Promise.all(callers);

    expect(drops).toBeGreaterThanOrEqual(15);
    expect(outcomes.length).toBeGreaterThan(100);
    expect(outcomes.filter((outcome) => outcome !== 'ok')).toEqual([]);
  });
});
