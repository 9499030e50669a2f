import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnApp, startRedis, freePort, uniquePrefix, type AppProcess, type TestRedis } from '@gateway/testing';
import { queuePrefixOf, type QueuePrefix } from '@gateway/queue';

/** A running upstream, Redis and a set of gateway processes. */
export interface BenchEnvironment {
  redis: TestRedis;
  upstreamUrl: string;
  upstreamPid: number;
  redisPid: number;
  /** Where the gateway's processes (and the lean path's) write CPU profiles, when profiled. */
  profileDir?: string;
  /** Starts `apis` API instances and `workers` workers; returns their base URLs and processes. */
  startGateway(options: { apis: number; workers: number; env?: Record<string, string>; apiKey?: boolean }): Promise<Gateway>;
  commandCount(): Promise<number>;
  /** Stops a gateway, ignoring a process that does not exit cleanly (reported, not thrown). */
  stopQuietly(gateway: Gateway): Promise<void>;
  stop(): Promise<void>;
}

export interface Gateway {
  urls: string[];
  /** QUEUE_PREFIX of this gateway: its queue's keys in the bench's Redis (one server, so as written). */
  prefix: QueuePrefix;
  apis: AppProcess[];
  workers: AppProcess[];
  /** Headers of every call: an API key's `authorization` when started with `apiKey`, else none. */
  headers: Record<string, string>;
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

function startUpstream(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [process.argv[1] ?? '', '--serve-upstream'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout?.once('data', (data: Buffer) => {
      const { port } = JSON.parse(data.toString('utf8').split('\n')[0] ?? '{}') as { port: number };
      resolve({ child, url: `http://127.0.0.1:${port}` });
    });
    child.once('exit', (code) => reject(new Error(`upstream exited ${code}`)));
  });
}

async function redisPid(url: string): Promise<number> {
  const client = new Redis(url);
  const info = await client.info('server');
  client.disconnect();
  return Number(info.match(/process_id:(\d+)/)?.[1] ?? NaN);
}

/** Sum of every command's call count, from INFO commandstats. */
async function commandCount(url: string): Promise<number> {
  const client = new Redis(url);
  const info = await client.info('commandstats');
  client.disconnect();
  let total = 0;
  for (const match of info.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)) {
    if (match[1] === 'info') continue;
    total += Number(match[2]);
  }
  return total;
}

const adminToken = 'bench-admin-token-0123456789';

/**
 * Creates an API key through the admin API, with its own rate limit and budgets (high enough never to refuse), so
 * calls made with it pay for the key lookup and the key's limits as a tenant's do. Returns its id and secret.
 */
export async function createApiKey(url: string, name = 'bench'): Promise<{ id: string; secret: string }> {
  const response = await fetch(`${url}/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name, daily_budget_usd: 1_000_000, monthly_budget_usd: 1_000_000, rate_rps: 100_000, rate_burst: 1_000_000 }),
  });
  const created = (await response.json()) as { id?: string; key?: string };
  if (response.status !== 201 || !created.key || !created.id) throw new Error(`creating the bench's API key: ${response.status} ${JSON.stringify(created)}`);
  return { id: created.id, secret: created.key };
}

/** With `profileDir`, every API and worker writes a V8 CPU profile to `profileDir/<role>/` when it exits. */
export async function createBenchEnvironment(options: { profileDir?: string } = {}): Promise<BenchEnvironment> {
  const { profileDir } = options;
  const redis = await startRedis({ spawn: true });
  const upstream = await startUpstream();
  const pidOfRedis = await redisPid(redis.url);
  /** Every app the bench started: stopped with the environment, whatever a scenario left behind. */
  const spawned = new Set<AppProcess>();
  const spawnTracked = async (...args: Parameters<typeof spawnApp>): Promise<AppProcess> => {
    const app = await spawnApp(...args);
    spawned.add(app);
    return app;
  };
  const baseEnv = {
    REDIS_URL: redis.url,
    LLM_PROVIDER: 'openrouter',
    MOCK_PROVIDER_ENABLED: 'true',
    OPENROUTER_API_KEY: 'bench-key',
    OPENROUTER_BASE_URL: `${upstream.url}/api/v1`,
    LOG_LEVEL: 'info',
    // The production default (the test harness writes each line at once).
    LOG_FLUSH_INTERVAL_MS: '100',
    NODE_ENV: 'production',
    // Limits high enough never to reject; the "limits on" scenario compares against them switched off.
    GATEWAY_RATE_RPS: '1000000',
    GATEWAY_RATE_BURST: '1000000',
    LLM_DAILY_BUDGET_USD: '1000000000',
    LLM_MONTHLY_BUDGET_USD: '1000000000',
    // Traces and the request log as the bench's own environment sets them (their cost is measured by running it twice).
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_') || name.startsWith('REQUEST_LOG_'))),
  };
  return {
    redis,
    ...(profileDir ? { profileDir } : {}),
    upstreamUrl: upstream.url,
    upstreamPid: upstream.child.pid ?? NaN,
    redisPid: pidOfRedis,
    commandCount: () => commandCount(redis.url),
    stopQuietly: async (gateway) => {
      await gateway.stop().catch((error: unknown) => {
        process.stderr.write(`gateway stop: ${String(error)}\n`);
      });
    },
    async startGateway(options) {
      const env = { ...baseEnv, QUEUE_PREFIX: uniquePrefix('bench'), ...(options.apiKey ? { GATEWAY_ADMIN_TOKEN: adminToken } : {}), ...options.env };
      const ports = await Promise.all(Array.from({ length: options.apis }, () => freePort()));
      const extra = process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
      const spawnOptions = (role: string) => ({ nodeArgs: [...extra, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, role)}`] : [])] });
      const apis = await Promise.all(
        ports.map((port) => spawnTracked('api', { ...env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port) }, spawnOptions('api'))),
      );
      const workers = await Promise.all(Array.from({ length: options.workers }, () => spawnTracked('worker', env, spawnOptions('worker'))));
      const urls = ports.map((port) => `http://127.0.0.1:${port}`);
      const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${(await createApiKey(urls[0] ?? '')).secret}` } : {};
      return {
        urls,
        headers,
        prefix: queuePrefixOf(env.QUEUE_PREFIX),
        apis,
        workers,
        pids: () => ({
          ...Object.fromEntries(apis.map((api, index) => [`api${index + 1}`, api.child.pid ?? NaN])),
          ...Object.fromEntries(workers.map((worker, index) => [`worker${index + 1}`, worker.child.pid ?? NaN])),
        }),
        async stop() {
          await Promise.all([...apis, ...workers].map((child) => child.stop('SIGTERM', 20_000)));
          // BENCH_LOG_DIR: each process's output (its info-level log) kept for a look at what happened in the run.
          const logDir = process.env['BENCH_LOG_DIR'];
          if (logDir) {
            mkdirSync(logDir, { recursive: true });
            for (const [name, app] of [
              ...apis.map((api, index) => [`api${index + 1}`, api] as const),
              ...workers.map((worker, index) => [`worker${index + 1}`, worker] as const),
            ])
              writeFileSync(join(logDir, `${env.QUEUE_PREFIX}-${name}.log`), app.output());
          }
        },
      };
    },
    async stop() {
      // Gateways a failed scenario left running (one that failed to start, or the first of two when the second failed).
      await Promise.all([...spawned].map((app) => app.stop('SIGKILL')));
      upstream.child.kill('SIGKILL');
      await redis.stop();
    },
  };
}
