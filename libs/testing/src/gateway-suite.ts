import { stopAll } from './async-helpers';
import { startFakeOpenRouter, type FakeOpenRouter, type FakeOpenRouterOptions } from './fake-upstreams/openrouter';
import { startApi, startGateway, type GatewayProcesses } from './gateway-harness';
import { spawnApp, type AppProcess } from './spawn-app';
import { startRedis, uniquePrefix, type StartRedisOptions, type TestRedis } from './start-redis';
import { startedLater } from './started-later';

type Env = Record<string, string>;

/** One API instance: its base URL and its process. */
export interface ApiInstance {
  baseUrl: string;
  process: AppProcess;
}

export interface GatewaySuiteOptions {
  /** Label of the suite's fresh queue prefix. */
  name: string;
  /** The queue prefix itself, for a suite that reads the gateway's keys (instead of a fresh one labelled `name`). */
  prefix?: string;
  /** Variables on top of REDIS_URL, QUEUE_PREFIX and the fake's; a function reads the parts started before the gateway. */
  env?: Env | ((parts: { redis: TestRedis; fake: FakeOpenRouter | undefined }) => Env | Promise<Env>);
  /** Starts a fake OpenRouter beside Redis and makes it the provider (LLM_PROVIDER, its key, its base URL). */
  openRouter?: FakeOpenRouterOptions & { apiKey: string };
  /** Worker processes beside the API (default 1). */
  workers?: number;
  /** false: no API and workers of its own; the suite names its processes with addApi/addWorker or starts them. */
  gateway?: boolean;
  redis?: StartRedisOptions;
}

/** The parts useGateway starts: each reads as the part itself from the suite's beforeAll on. */
export interface GatewaySuite {
  readonly redis: TestRedis;
  /** The fake OpenRouter (only with the `openRouter` option). */
  readonly fake: FakeOpenRouter;
  readonly gateway: GatewayProcesses;
  /** The environment the suite's processes get. */
  readonly env: Env;
  /** One more API instance (on the suite's environment plus `extra`) started in the suite's beforeAll. */
  addApi(extra?: Env, stopSignal?: NodeJS.Signals): ApiInstance;
  /** One more worker started in the suite's beforeAll. */
  addWorker(stopSignal?: NodeJS.Signals): AppProcess;
  /** Starts an API instance now (in a test); it is stopped with the suite, by `stopSignal` (default SIGTERM). */
  startApi(extra?: Env, stopSignal?: NodeJS.Signals): Promise<ApiInstance>;
  /** Starts a worker now (in a test); it is stopped with the suite, by `stopSignal` (default SIGTERM). */
  startWorker(stopSignal?: NodeJS.Signals): Promise<AppProcess>;
}

/**
 * Starts Redis (and a fake OpenRouter), then an API and its workers, in the calling suite's beforeAll, and stops
 * them in its afterAll: the apps (those the suite added or started through it too) before what they use. A part
 * that started is stopped even when another failed to start.
 */
export function useGateway(options: GatewaySuiteOptions): GatewaySuite {
  let redis: TestRedis | undefined;
  let fake: FakeOpenRouter | undefined;
  let gateway: GatewayProcesses | undefined;
  let env: Env | undefined;
  const apps: { stop(): Promise<unknown> }[] = [];
  const added: (() => Promise<unknown>)[] = [];
  const suiteEnv = startedLater('environment', () => env);
  const startApiNow = async (extra: Env = {}, stopSignal?: NodeJS.Signals) => {
    const api = await startApi({ ...suiteEnv, ...extra });
    apps.push({ stop: () => api.process.stop(stopSignal) });
    return api;
  };
  const startWorkerNow = async (stopSignal?: NodeJS.Signals) => {
    const worker = await spawnApp('worker', { ...suiteEnv });
    apps.push({ stop: () => worker.stop(stopSignal) });
    return worker;
  };
  /** A part started with the others in beforeAll, read through a stand-in. */
  const addLater = <T extends object>(name: string, start: () => Promise<T>): T => {
    let part: T | undefined;
    added.push(async () => (part = await start()));
    return startedLater(name, () => part);
  };

  beforeAll(async () => {
    const { openRouter } = options;
    await Promise.all([
      startRedis(options.redis).then((started) => (redis = started)),
      openRouter && startFakeOpenRouter(openRouter).then((started) => (fake = started)),
    ]);
    const provider: Env = openRouter && fake ? { LLM_PROVIDER: 'openrouter', OPENROUTER_API_KEY: openRouter.apiKey, OPENROUTER_BASE_URL: fake.baseUrl } : {};
    const own = typeof options.env === 'function' ? await options.env({ redis: redis!, fake }) : options.env;
    env = { REDIS_URL: redis!.url, QUEUE_PREFIX: options.prefix ?? uniquePrefix(options.name), ...provider, ...own };
    const suiteGateway = options.gateway === false ? undefined : startGateway(env, { workers: options.workers }).then((started) => (gateway = started));
    await Promise.all([suiteGateway, ...added.map((start) => start())]);
  });
  afterAll(async () => {
    await Promise.all([gateway?.stop(), ...apps.map((app) => app.stop())]);
    await stopAll(fake, redis);
  });
  return {
    redis: startedLater('Redis', () => redis),
    fake: startedLater('fake OpenRouter', () => fake),
    gateway: startedLater('gateway', () => gateway),
    env: suiteEnv,
    addApi: (extra, stopSignal) => addLater('added API instance', () => startApiNow(extra, stopSignal)),
    addWorker: (stopSignal) => addLater('added worker', () => startWorkerNow(stopSignal)),
    startApi: startApiNow,
    startWorker: startWorkerNow,
  };
}
