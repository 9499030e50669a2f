import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freeClusterPort } from './free-port';

/** A local Redis Cluster for one test suite. */
export interface TestRedisCluster {
  /** `host:port` of every master, for REDIS_CLUSTER_NODES. */
  nodes: string[];
  stop(): Promise<void>;
}

async function clusterReady(port: number, masters: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const info = String(await client.call('CLUSTER', 'INFO'));
      client.disconnect();
      if (info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`)) return;
    } catch {
      client.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis cluster on port ${port} not ok in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Spawns a Redis Cluster of `masters` masters (no replicas) on free ports and joins them with
 * `redis-cli --cluster create` (about 2 s).
 */
export async function startRedisCluster(masters = 3): Promise<TestRedisCluster> {
  // A port found free may be taken before its node binds it (another suite's process): try again on new ports.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startRedisClusterOnce(masters);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !/did not start|exited/.test(error.message)) throw error;
    }
  }
}

async function startRedisClusterOnce(masters: number): Promise<TestRedisCluster> {
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not installed: install it (apt-get install redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-cluster-'));
  const ports: number[] = [];
  // One at a time, so two nodes never get the same port (or one's bus port).
  while (ports.length < masters) {
    const port = await freeClusterPort();
    if (!ports.some((taken) => taken === port || taken + 10000 === port || port + 10000 === taken)) ports.push(port);
  }
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--dbfilename',
        `dump-${port}.rdb`,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '5000',
        '--maxmemory-policy',
        'noeviction',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const deadline = Date.now() + 10_000;
      while (
        spawnSync('redis-cli', ['-p', String(port), 'ping'])
          .stdout?.toString()
          .trim() !== 'PONG'
      ) {
        const child = children[ports.indexOf(port)];
        // A node that exited (its port taken meanwhile) will not answer: say so now rather than at the deadline.
        if (child && child.exitCode !== null) throw new Error(`redis-server on port ${port} exited (${child.exitCode}) before answering`);
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout?.toString()} ${create.stderr?.toString()}`);
    await Promise.all(ports.map((port) => clusterReady(port, masters, 20_000)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => `127.0.0.1:${port}`), stop };
}
