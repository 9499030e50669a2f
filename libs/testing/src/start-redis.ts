import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port';

/** A Redis for one test suite. */
export interface TestRedis {
  url: string;
  port: number;
  /** True when this harness spawned the server (so it can be stopped and restarted). */
  owned: boolean;
  /** Stops the server (SIGKILL when `hard`), keeping its data directory. */
  kill(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and directory (append-only data survives). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of startRedis. */
export interface StartRedisOptions {
  /** Turn on append-only persistence (for restart tests). */
  appendOnly?: boolean;
  /** Ignore REDIS_URL and always spawn (for tests that kill Redis). */
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

/**
 * Spawns `redis-server` on a free port (or uses REDIS_URL when set and `spawn` is not asked for).
 * Each suite gets its own server, so suites can run in parallel and kill theirs.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const shared = process.env['REDIS_URL'];
  if (shared && !options.spawn) {
    await waitForPing(shared, 5000);
    const port = Number(new URL(shared).port || 6379);
    const unsupported = async () => {
      throw new Error('cannot stop a shared REDIS_URL server');
    };
    return { url: shared, port, owned: false, kill: unsupported, restart: unsupported, stop: async () => undefined };
  }
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed: install it (apt-get install redis-server) or set REDIS_URL');
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendOnly ? 'yes' : 'no', '--appendfsync', 'always',
    '--maxmemory-policy', 'noeviction', '--loglevel', 'warning',
  ];
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
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

/** A key prefix no other test uses. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
