import { createHmac } from 'node:crypto';
import { waitFor } from './async-helpers';
import { noRateLimit } from './fault-helpers';
import { startFakeServer, type FakeServer, type RecordedRequest } from './fake-upstreams/http-server';
import { startApi } from './gateway-harness';
import { spawnApp, type AppProcess } from './spawn-app';
import { startRedis, uniquePrefix, type TestRedis } from './start-redis';
import { startedLater } from './started-later';

/** The worker lock of these suites: a worker killed mid-delivery has its delivery taken over within about this. */
export const callbackKillLockMs = 2000;

/**
 * The parts of a suite that kills workers around callback deliveries: a Redis, a receiver of callbacks (it can
 * hold a path's first delivery unanswered while the test kills the delivering worker), one API, and workers the
 * test starts (on Redis or through a freeze proxy) and kills; all stopped after the suite.
 */
export function useCallbackKillSuite(name: string, secret: string) {
  let redis: TestRedis | undefined;
  let receiver: FakeServer | undefined;
  let api: { baseUrl: string; process: AppProcess } | undefined;
  let env: Record<string, string> | undefined;
  const workers: AppProcess[] = [];
  const prefix = uniquePrefix(name);
  /** Paths whose first delivery the receiver holds unanswered (the test kills the delivering worker meanwhile). */
  const holdFirst = new Set<string>();

  beforeAll(async () => {
    redis = await startRedis();
    receiver = await startFakeServer(async (request, res, raw) => {
      if (holdFirst.delete(request.path)) {
        await new Promise<void>((resolve) => raw.socket.once('close', () => resolve()));
        return;
      }
      res.writeHead(200).end();
    });
    env = {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      LLM_PROVIDER: 'mock',
      JOB_CALLBACK_ALLOWED_HOSTS: new URL(receiver.url).host,
      JOB_CALLBACK_SECRET: secret,
      WORKER_LOCK_DURATION_MS: String(callbackKillLockMs),
      WORKER_STALLED_INTERVAL_MS: '1000',
      CIRCUIT_FAILURE_THRESHOLD: '1000',
      ...noRateLimit,
    };
    api = await startApi(env);
  });
  afterAll(async () => {
    await Promise.all([api?.process.stop(), ...workers.map((worker) => worker.stop('SIGKILL'))]);
    await receiver?.close();
    await redis?.stop();
  });

  const receiverPart = startedLater('callback receiver', () => receiver);
  const deliveries = (path: string): RecordedRequest[] => receiverPart.requests.filter((request) => request.path === path);

  return {
    redis: startedLater('Redis', () => redis),
    receiver: receiverPart,
    api: startedLater('API', () => api),
    prefix,
    workers,
    holdFirst,
    /** A worker on `redisUrl` (the Redis, or a freeze proxy in front of it), stopped with the suite. */
    async startWorker(redisUrl: string): Promise<AppProcess> {
      const worker = await spawnApp('worker', { ...env, REDIS_URL: redisUrl });
      workers.push(worker);
      return worker;
    },
    async kill(worker: AppProcess): Promise<void> {
      worker.child.kill('SIGKILL');
      await worker.exited();
    },
    deliveries,
    /** The deliveries to `path` once there are `count` of them; throws saying how many came. */
    async delivered(path: string, count = 1, timeoutMs = 20_000): Promise<RecordedRequest[]> {
      const found = await waitFor(async () => (deliveries(path).length >= count ? deliveries(path) : undefined), timeoutMs, 100).catch(() => undefined);
      if (!found) throw new Error(`${count} callback(s) to ${path} expected, ${deliveries(path).length} received`);
      return found;
    },
    /** The receiver's check of X-Gateway-Signature: HMAC-SHA256 of "<t>.<body as sent>". */
    signedBody(request: RecordedRequest): boolean {
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-gateway-signature']));
      return (
        match?.[2] ===
        createHmac('sha256', secret)
          .update(`${match?.[1]}.${JSON.stringify(request.body)}`)
          .digest('hex')
      );
    },
  };
}
