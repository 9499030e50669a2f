import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { freePort } from './free-port';
import { startGateway } from './gateway-harness';
import { waitFor } from './async-helpers';
import { startRedis, uniquePrefix, type TestRedis } from './start-redis';

let redis: TestRedis;
let admin: Redis;
let taken: Server;
let takenPort: number;

beforeAll(async () => {
  // Its own server: the check below reads every gateway connection on it.
  redis = await startRedis({ spawn: true });
  admin = new Redis(redis.url);
  takenPort = await freePort();
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(takenPort, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  admin.disconnect();
  await redis.stop();
});

/** Names of this Redis's client connections opened by the gateway's apps. */
async function gatewayConnections(): Promise<string[]> {
  const clients = (await admin.call('CLIENT', 'LIST')) as string;
  return clients.split('\n').flatMap((line) => line.match(/ name=(gw-\S+)/)?.slice(1) ?? []);
}

describe('startGateway', () => {
  it('stops the API it started when a worker does not start, and throws the worker error', async () => {
    // The worker cannot listen for its metrics on a port in use; the API starts (it has no such port).
    const env = { REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('harness'), LLM_PROVIDER: 'mock', WORKER_METRICS_PORT: String(takenPort) };
    await expect(startGateway(env)).rejects.toThrow(/worker/);
    // No API is left running (it would hold the test runner open): from 0.5 s on (the killed one's sockets closed),
    // none is connected to Redis for 3 s, longer than an API takes to start and connect.
    await waitFor(async () => (await gatewayConnections()).length === 0, 5000, 50);
    const seen = new Set<string>();
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      for (const name of await gatewayConnections()) seen.add(name);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...seen]).toEqual([]);
  });
});
