import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { alive, jobView, noRateLimit, scriptedBehaviour, usageToday } from '../fault-helpers';
import { startFakeOpenRouter } from '../fake-upstreams/openrouter';
import { startApi } from '../gateway-harness';
import { spawnApp, type AppProcess } from '../spawn-app';
import { startRedis, uniquePrefix } from '../start-redis';
import { emptyTally, sendOne } from './soak-load';

/**
 * Soak run: two APIs and two workers on an append-only Redis, a fake OpenRouter (Mock as fallback), a mixed load
 * for `--minutes`, and a fault every `--fault-every` seconds in turn: a worker SIGKILLed (and replaced), an API
 * SIGKILLed (and replaced), Redis killed and restarted, an upstream outage. Then it drains and prints accepted,
 * completed, failed, lost (must be 0), double-billed (must be 0) and each process's memory at start and end.
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const minutes = option('minutes', 10);
const rps = option('rps', 40);
const faultEverySeconds = option('fault-every', 30);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const rssMb = (pid: number | undefined) => {
  const match = pid ? /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')) : null;
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
};

async function main(): Promise<void> {
  const redis = await startRedis({ spawn: true, appendOnly: true });
  let outage = false;
  const fake = await startFakeOpenRouter({
    apiKey: 'sk-or-soak',
    behave: (request, index) => (outage ? (index % 2 ? { kind: 'status', status: 503 } : { kind: 'hang' }) : scriptedBehaviour(request)),
  });
  const prefix = uniquePrefix('soak');
  const env = {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    LLM_PROVIDER: 'openrouter',
    LLM_FALLBACKS: 'mock',
    OPENROUTER_API_KEY: 'sk-or-soak',
    OPENROUTER_BASE_URL: fake.baseUrl,
    PROVIDER_TIMEOUT_MS: '5000',
    CHAT_TIMEOUT_MS: '60000',
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_STALLED_INTERVAL_MS: '2500',
    CIRCUIT_RESET_TIME_MS: '5000',
    ...noRateLimit,
  };
  const apis = await Promise.all([startApi(env), startApi(env)]);
  const workers: AppProcess[] = await Promise.all([spawnApp('worker', env), spawnApp('worker', env)]);
  const memory = () => ({ api: apis.map((api) => rssMb(api.process.child.pid)), worker: workers.map((worker) => rssMb(worker.child.pid)) });
  const redisMemoryMb = async () => {
    const client = new Redis(redis.url, { lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    const info = await client.info('memory');
    client.disconnect();
    return Math.round(Number(/used_memory_rss:(\d+)/.exec(info)?.[1] ?? NaN) / 1024 / 1024);
  };
  const startMemory = { ...memory(), redis: await redisMemoryMb() };
  log(`started: 2 APIs, 2 workers, ${minutes} min at ~${rps} req/s, a fault every ${faultEverySeconds} s; memory (MB) ${JSON.stringify(startMemory)}`);

  const tally = emptyTally();
  const faults: string[] = [];
  const ends = Date.now() + minutes * 60_000;
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const load = (async () => {
    while (Date.now() < ends) {
      const live = apis.filter((api) => alive(api.process.child));
      const api = live[sent % Math.max(1, live.length)];
      if (api) {
        const request = sendOne(api.baseUrl, sent, tally).finally(() => inFlight.delete(request));
        inFlight.add(request);
      }
      sent += 1;
      await sleep(1000 / rps);
    }
  })();

  const faultKinds = ['worker', 'api', 'redis', 'upstream'] as const;
  for (let round = 0; Date.now() + faultEverySeconds * 1000 < ends; round += 1) {
    await sleep(faultEverySeconds * 1000);
    const kind = faultKinds[round % faultKinds.length]!;
    faults.push(kind);
    if (kind === 'worker') {
      const victim = workers[1]!;
      victim.child.kill('SIGKILL');
      await victim.exited();
      workers[1] = await spawnApp('worker', env);
    } else if (kind === 'api') {
      const victim = apis[1]!;
      victim.process.child.kill('SIGKILL');
      await victim.process.exited();
      apis[1] = await startApi(env);
    } else if (kind === 'redis') {
      await redis.kill(true);
      await sleep(3000);
      await redis.restart();
    } else {
      outage = true;
      await sleep(8000);
      outage = false;
    }
    log(`fault ${round + 1}: ${kind}; sent ${sent}, jobs accepted ${tally.acceptedJobIds.length}`);
  }
  await load;
  await Promise.allSettled([...inFlight]);

  log('load stopped: draining');
  const baseUrl = apis[0]!.baseUrl;
  const views = new Map<string, string>();
  const drainEnds = Date.now() + 180_000;
  while (Date.now() < drainEnds) {
    for (const id of tally.acceptedJobIds) {
      if (['completed', 'failed', 'cancelled'].includes(views.get(id) ?? '')) continue;
      const view = await jobView(baseUrl, id);
      views.set(id, view?.status ?? 'missing');
    }
    if (tally.acceptedJobIds.every((id) => ['completed', 'failed', 'cancelled'].includes(views.get(id) ?? ''))) break;
    await sleep(2000);
  }
  const count = (status: string) => tally.acceptedJobIds.filter((id) => views.get(id) === status).length;
  const lost = tally.acceptedJobIds.length - count('completed') - count('failed') - count('cancelled');
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  // Every lane's queue (`chat`, `chat-job`, `chat-batch`).
  const queues = ['chat', 'chat-job', 'chat-batch'].map((name) => new Queue(name, { connection, prefix }));
  const completedInQueue = (await Promise.all(queues.map(async (queue) => (await queue.getJobCounts('completed')).completed ?? 0))).reduce(
    (sum, count) => sum + count,
    0,
  );
  const usage = await usageToday(baseUrl);
  const endMemory = { ...memory(), redis: await redisMemoryMb() };
  await Promise.all(queues.map((queue) => queue.close()));
  connection.disconnect();

  const report = {
    minutes,
    requests_sent: sent,
    faults,
    jobs: { accepted: tally.acceptedJobIds.length, completed: count('completed'), failed: count('failed'), cancelled: count('cancelled'), lost },
    sync: { ok: tally.syncOk, failed: tally.syncFailed },
    stream: { ok: tally.streamOk, failed: tally.streamFailed },
    refused: tally.refused,
    billing: {
      jobs_completed_in_queue: completedInQueue,
      jobs_billed: usage.jobs,
      double_billed: Math.max(0, usage.jobs - completedInQueue),
      in_flight_usd: usage.in_flight_usd,
    },
    memory_mb: { start: startMemory, end: endMemory, note: 'api[1] and worker[1] were replaced by the kill faults; api[0], worker[0] ran throughout' },
    upstream_calls: fake.requests.length,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  await Promise.all([...apis.map((api) => api.process.stop()), ...workers.map((worker) => worker.stop())]);
  await fake.close();
  await redis.stop();
  process.exit(lost === 0 && report.billing.double_billed === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`soak run failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
