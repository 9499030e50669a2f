import { stopAll } from './async-helpers';
import { startFakeOpenRouter, type FakeOpenRouter, type FakeOpenRouterOptions } from './fake-upstreams/openrouter';
import { startGateway, type GatewayProcesses } from './gateway-harness';
import { startRedis, uniquePrefix, type StartRedisOptions, type TestRedis } from './start-redis';
import { startedLater } from './started-later';

type Env = Record<string, string>;

export interface GatewaySuiteOptions {
  /** Label of the suite's fresh queue prefix. */
  name: string;
  /** The queue prefix itself, for a suite that reads the gateway's keys (instead of a fresh one labelled `name`). */
  prefix?: string;
  /** Variables on top of REDIS_URL, QUEUE_PREFIX and the fake's; a function reads the parts started before the gateway. */
  env?: Env | ((parts: { redis: TestRedis; fake: FakeOpenRouter | undefined }) => Env | Promise<Env>);
  /** Starts a fake OpenRouter beside Redis and makes it the provider (LLM_PROVIDER, its key, its base URL). */
  openRouter?: FakeOpenRouterOptions & { apiKey: string };
  workers?: number;
  redis?: StartRedisOptions;
}

/** The parts useGateway starts: each reads as the part itself from the suite's beforeAll on. */
export interface GatewaySuite {
  readonly redis: TestRedis;
  /** The fake OpenRouter (only with the `openRouter` option). */
  readonly fake: FakeOpenRouter;
  readonly gateway: GatewayProcesses;
}

/**
 * Starts Redis (and a fake OpenRouter) then an API and its workers in the calling suite's beforeAll, and stops them
 * in its afterAll, apps before what they use. A part that started is stopped even when another failed to start.
 */
export function useGateway(options: GatewaySuiteOptions): GatewaySuite {
  let redis: TestRedis | undefined;
  let fake: FakeOpenRouter | undefined;
  let gateway: GatewayProcesses | undefined;
  beforeAll(async () => {
    const { openRouter } = options;
    await Promise.all([
      startRedis(options.redis).then((started) => (redis = started)),
      openRouter && startFakeOpenRouter(openRouter).then((started) => (fake = started)),
    ]);
    const provider: Env = openRouter && fake ? { LLM_PROVIDER: 'openrouter', OPENROUTER_API_KEY: openRouter.apiKey, OPENROUTER_BASE_URL: fake.baseUrl } : {};
    const env = typeof options.env === 'function' ? await options.env({ redis: redis!, fake }) : options.env;
    gateway = await startGateway(
      { REDIS_URL: redis!.url, QUEUE_PREFIX: options.prefix ?? uniquePrefix(options.name), ...provider, ...env },
      { workers: options.workers },
    );
  });
  afterAll(() => stopAll(gateway, fake, redis));
  return {
    redis: startedLater('Redis', () => redis),
    fake: startedLater('fake OpenRouter', () => fake),
    gateway: startedLater('gateway', () => gateway),
  };
}
