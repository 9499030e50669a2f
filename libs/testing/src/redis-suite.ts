import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from './start-redis';

/** The suite's Redis (started in its beforeAll, stopped in its afterAll) and one client connection to it. */
export interface RedisSuite {
  readonly redis: TestRedis;
  readonly client: Redis;
}

/** Starts a real Redis for the calling suite; read `redis` and `client` inside its tests (they exist from beforeAll on). */
export function useRedisSuite(): RedisSuite {
  let redis: TestRedis | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the suite Redis is read before beforeAll ran');
    return value;
  };
  return {
    get redis() {
      return started(redis);
    },
    get client() {
      return started(client);
    },
  };
}
