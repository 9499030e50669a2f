import { Redis } from 'ioredis';
import {
  adminConnections,
  killSubscribers,
  postJson,
  postSse,
  startGateway,
  startRedis,
  startRedisCluster,
  uniquePrefix,
  type GatewayProcesses,
} from '@gateway/testing';

jest.setTimeout(90_000);

/** Where the gateway runs: its environment, the Redis servers to reach its connections on, and how to stop them. */
interface Setup {
  env: Record<string, string>;
  servers: Redis[];
  stop(): Promise<void>;
}

async function standalone(): Promise<Setup> {
  // Its own server: the test kills every API reply connection on it.
  const redis = await startRedis({ spawn: true });
  const servers = adminConnections([new URL(redis.url).host]);
  return { env: { REDIS_URL: redis.url }, servers, stop: async () => (servers.forEach((server) => server.disconnect()), redis.stop()) };
}

async function cluster(): Promise<Setup> {
  const nodes = await startRedisCluster(3);
  const servers = adminConnections(nodes.nodes);
  return { env: { REDIS_CLUSTER_NODES: nodes.nodes.join(',') }, servers, stop: async () => (servers.forEach((server) => server.disconnect()), nodes.stop()) };
}

describe.each([
  ['a Redis', standalone],
  ['a Redis Cluster', cluster],
])('the reply channel dropped and resubscribed under load, on %s', (_name, setUp) => {
  let setup: Setup;
  let gateway: GatewayProcesses;
  beforeAll(async () => {
    setup = await setUp();
    // Limits on (one admission script on a Redis, two steps on a cluster). A reply nobody recovers shows as a 504.
    gateway = await startGateway({
      ...setup.env,
      QUEUE_PREFIX: uniquePrefix('rcreconnect'),
      LLM_PROVIDER: 'mock',
      CHAT_TIMEOUT_MS: '5000',
      GATEWAY_RATE_RPS: '100000',
      GATEWAY_RATE_BURST: '100000',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await setup?.stop();
  });

  it('answers every sync call and every stream: a reply sent while it was down is found in the job, none is lost', async () => {
    let running = true;
    const outcomes: string[] = [];
    const syncCaller = async (caller: number) => {
      for (let call = 0; running; call += 1) {
        const reply = `sync-${caller}-${call}`;
        const { status, body } = await postJson(`${gateway.baseUrl}/v1/chat`, {
          messages: [{ role: 'user', content: 'hi' }],
          model: `mock/echo?latency=20&reply=${reply}`,
        });
        outcomes.push(status === 200 && (body as { content?: string }).content === reply ? 'ok' : `${status} ${JSON.stringify(body)}`);
      }
    };
    const streamCaller = async (caller: number) => {
      for (let call = 0; running; call += 1) {
        // Several chunks over ~25 ms: a drop meets streams mid-way. A chunk lost meanwhile (or, on a cluster, delivered
        // twice or out of order) must not show in the text the client reads.
        const reply = `stream-${caller}-${call} one two three four five six seven eight`;
        const result = await postSse(`${gateway.baseUrl}/v1/chat/stream`, {
          messages: [{ role: 'user', content: 'hi' }],
          model: `mock/echo?latency=5&chunk_delay=3&reply=${encodeURIComponent(reply)}`,
        });
        const events = result.events as { done?: boolean; content?: string }[];
        const text = events.map((event) => event.content ?? '').join('');
        outcomes.push(
          result.status === 200 && events.at(-1)?.done === true && text === reply
            ? 'ok'
            : `${result.status} ${JSON.stringify(result.body ?? events.slice(-2))}`,
        );
      }
    };
    const callers = [...Array.from({ length: 8 }, (_, index) => syncCaller(index)), ...Array.from({ length: 4 }, (_, index) => streamCaller(index))];

    let drops = 0;
    for (let round = 0; round < 20; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      // The API's subscribed reply connection: ioredis reconnects (or, on a cluster, moves) and subscribes again.
      if ((await killSubscribers(setup.servers, 'gw-api-replies')) > 0) drops += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await Promise.all(callers);

    expect(drops).toBeGreaterThanOrEqual(15);
    expect(outcomes.length).toBeGreaterThan(100);
    expect(outcomes.filter((outcome) => outcome !== 'ok')).toEqual([]);
  });
});
