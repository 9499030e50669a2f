import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { limitsPrefixOf, queuePrefixOf, type LimitsPrefix, type QueuePrefix } from '@gateway/queue';
import type { StartedTestContainer } from 'testcontainers';
import { freePort } from './free-port';

/** A Redis for one test suite. */
export interface TestRedis {
  url: string;
  port: number;
  /** True when this harness started the server, as a process or a container (so it can be stopped and restarted). */
  owned: boolean;
  /** Stops the server (SIGKILL when `hard`), keeping its data directory (or its stopped container). */
  kill(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and directory (append-only data survives). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Turn on append-only persistence (for restart tests). */
  appendOnly?: boolean;
  /** Ignore REDIS_URL and start a server of the suite's own (for tests that kill Redis). */
  spawn?: boolean;
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch (error) {
      client.disconnect();
      if (Date.now() > deadline) throw new Error(`redis at ${url} did not answer in ${timeoutMs} ms: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Where a suite's Redis comes from. */
export type RedisSource = 'shared' | 'spawn' | 'container';

/** What startRedis knows about the machine when it picks a source. */
export interface RedisSourceFacts {
  /** REDIS_URL, when set. */
  redisUrl: string | undefined;
  /** The suite asked for its own server (`spawn`), e.g. to kill it. */
  spawnRequested: boolean;
  /** A `redis-server` binary runs here. */
  binaryAvailable: boolean;
}

/** REDIS_URL unless the suite needs its own server; then redis-server, else a container. */
export function chooseRedisSource({ redisUrl, spawnRequested, binaryAvailable }: RedisSourceFacts): RedisSource {
  if (redisUrl && !spawnRequested) return 'shared';
  return binaryAvailable ? 'spawn' : 'container';
}

/**
 * A Redis for one suite: the one at REDIS_URL (unless `spawn` is asked for), else `redis-server` spawned on a
 * free port, else a container through testcontainers when a container runtime (Docker) answers.
 * Each suite gets its own server, so suites can run in parallel and kill theirs.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const redisUrl = process.env['REDIS_URL'];
  // REDIS_SERVER_BIN lets a test play a machine without the binary.
  const binary = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
  const source = chooseRedisSource({
    redisUrl,
    spawnRequested: options.spawn ?? false,
    binaryAvailable: !spawnSync(binary, ['--version']).error,
  });
  if (source === 'shared' && redisUrl) return useShared(redisUrl);
  if (source === 'spawn') return spawnRedis(binary, options);
  return startRedisContainer(options);
}

async function useShared(url: string): Promise<TestRedis> {
  await waitForPing(url, 5000);
  const port = Number(new URL(url).port || 6379);
  const unsupported = async () => {
    throw new Error('cannot stop a shared REDIS_URL server');
  };
  return { url, port, owned: false, kill: unsupported, restart: unsupported, stop: async () => undefined };
}

/** Arguments common to the spawned and the containerised server. */
function serverArgs(options: StartRedisOptions): string[] {
  return [
    '--save',
    '',
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    '--loglevel',
    'warning',
  ];
}

async function spawnRedis(binary: string, options: StartRedisOptions): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...serverArgs(options)];
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(binary, args, { stdio: 'ignore' });
    await waitForPing(url, 10_000);
  };
  const kill = async (hard = false) => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      current.once('exit', () => resolve());
      current.kill(hard ? 'SIGKILL' : 'SIGTERM');
    });
  };
  await launch();
  return {
    url,
    port,
    owned: true,
    kill,
    restart: launch,
    stop: async () => {
      await kill(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startRedisContainer(options: StartRedisOptions): Promise<TestRedis> {
  const image = process.env['TEST_REDIS_IMAGE'] ?? 'redis:7-alpine';
  // Loaded only here, so suites that find REDIS_URL or redis-server never load testcontainers.
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  // A host port of our own: Docker would publish a new random one on every restart.
  const port = await freePort();
  // testcontainers 11 cannot bind the published port to 127.0.0.1 (a binding names only the host port), so
  // the server listens on every interface of the host: a random password keeps everyone else out.
  const password = randomBytes(16).toString('hex');
  let container: StartedTestContainer;
  try {
    container = await new GenericContainer(image)
      .withCommand(['redis-server', '--requirepass', password, '--dir', '/data', ...serverArgs(options)])
      .withExposedPorts({ container: 6379, host: port })
      .start();
  } catch (error) {
    throw new Error(
      'no Redis for the tests: install redis-server (apt-get install redis-server, or point REDIS_SERVER_BIN at it), ' +
        'set REDIS_URL (suites that kill Redis still need one of the others), ' +
        `or start Docker so testcontainers can run ${image}; testcontainers said: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const host = container.getHost() === 'localhost' ? '127.0.0.1' : container.getHost();
  const url = `redis://:${password}@${host}:${port}`;
  const runtime = await getContainerRuntimeClient();
  const docker = runtime.container.getById(container.getId());
  const restart = async () => {
    await runtime.container.start(docker);
    await waitForPing(url, 10_000);
  };
  const kill = async (hard = false) => {
    if (!(await runtime.container.inspect(docker)).State.Running) return;
    // Stopped, not removed: /data (and the append-only file) is still there for restart().
    if (hard) {
      await docker.kill({ signal: 'SIGKILL' });
      await docker.wait();
    } else {
      await runtime.container.stop(docker, { timeout: 10_000 });
    }
  };
  const stop = async () => {
    await container.stop({ remove: true, removeVolumes: true });
  };
  try {
    await waitForPing(url, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, owned: true, kill, restart, stop };
}

/** A key prefix no other test uses. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A queue prefix no other test uses (as written: a test on a cluster wraps it in its own `{…}`). */
export const uniqueQueuePrefix = (label?: string): QueuePrefix => queuePrefixOf(uniquePrefix(label));

/** A limits prefix no other test uses. */
export const uniqueLimitsPrefix = (label?: string): LimitsPrefix => limitsPrefixOf(uniquePrefix(label));
