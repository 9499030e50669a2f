import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { startRedis } from './start-redis';

const noBinary = { REDIS_SERVER_BIN: '/nonexistent/redis-server', REDIS_URL: undefined };
const noDocker = { ...noBinary, DOCKER_HOST: 'unix:///tmp/nonexistent-docker.sock' };

let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(Object.keys(noDocker).map((name) => [name, process.env[name]]));
});
afterEach(() => setEnv(saved));

function setEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * Decided before the tests are defined, so a case this machine cannot play shows as skipped, not as passed:
 * a Docker socket (or DOCKER_HOST) means a runtime may answer; none means testcontainers can find none.
 */
const dockerMayAnswer =
  Boolean(process.env['DOCKER_HOST']) || existsSync('/var/run/docker.sock') || existsSync(`${process.env['XDG_RUNTIME_DIR'] ?? '/nonexistent'}/docker.sock`);
const withoutDocker = dockerMayAnswer ? it.skip : it;
const withDocker = dockerMayAnswer ? it : it.skip;

async function containerRuntimeAnswers(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  return getContainerRuntimeClient().then(
    () => true,
    () => false,
  );
}

describe('startRedis without redis-server or REDIS_URL', () => {
  withoutDocker(
    'fails fast, naming the three ways out, when no container runtime answers',
    async () => {
      setEnv(noDocker);
      // Past a dead DOCKER_HOST, testcontainers still tries /var/run/docker.sock and the rootless sockets.
      expect(await containerRuntimeAnswers()).toBe(false);
      for (const options of [{}, { spawn: true, appendOnly: true }]) {
        const started = Date.now();
        const error: unknown = await startRedis(options).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(error).toBeInstanceOf(Error);
        const message = error instanceof Error ? error.message : '';
        expect(message).toContain('install redis-server');
        expect(message).toContain('set REDIS_URL');
        expect(message).toContain('start Docker');
      }
    },
    30_000,
  );

  withDocker(
    'runs Redis in a container that keeps its port, password and append-only data across kill and restart',
    async () => {
      setEnv(noBinary);
      // A socket that is there but dead (daemon stopped) fails here, loudly: the harness could not use it either.
      expect(await containerRuntimeAnswers()).toBe(true);
      const redis = await startRedis({ spawn: true, appendOnly: true });
      try {
        const client = new Redis(redis.url, { lazyConnect: true });
        await client.connect();
        await client.set('survives', 'yes');
        expect(await client.call('CONFIG', 'GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
        client.disconnect();
        const anonymous = new Redis(redis.port, new URL(redis.url).hostname, { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
        await anonymous.connect();
        await expect(anonymous.get('survives')).rejects.toThrow(/NOAUTH/);
        anonymous.disconnect();

        await redis.kill(true);
        await redis.restart();
        const again = new Redis(redis.url, { lazyConnect: true });
        await again.connect();
        expect(await again.get('survives')).toBe('yes');
        again.disconnect();
      } finally {
        await redis.stop();
      }
    },
    180_000,
  );
});
