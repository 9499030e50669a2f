import { spawnApp, startApi, startRedis, postJson, scrapeMetrics, metricValue, uniquePrefix, waitFor, type AppProcess, type TestRedis } from '@gateway/testing';

jest.setTimeout(120_000);

type Answer = { status: number; body: unknown } | { status: 'connection error'; body: string };

let redis: TestRedis;
const started: AppProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(started.map((app) => app.stop('SIGKILL')));
  await redis?.stop();
});

function environment(extra: Record<string, string> = {}): Record<string, string> {
  return { REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('shutdown'), LLM_PROVIDER: 'mock', CHAT_TIMEOUT_MS: '60000', ...extra };
}

async function api(env: Record<string, string>) {
  const instance = await startApi(env);
  started.push(instance.process);
  return instance;
}

async function worker(env: Record<string, string>) {
  const instance = await spawnApp('worker', env);
  started.push(instance);
  return instance;
}

function chat(baseUrl: string, count: number, model: string): Promise<Answer>[] {
  return Array.from({ length: count }, (_, index) =>
    postJson(`${baseUrl}/v1/chat`, { messages: [{ role: 'user', content: `call ${index}` }], model }).catch((error: unknown) => ({
      status: 'connection error' as const,
      body: String(error),
    })),
  );
}

/** Polls the API's queue metrics until the chat queue's count of jobs in `state` satisfies the predicate. */
async function untilQueue(baseUrl: string, state: string, predicate: (value: number) => boolean, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => predicate(metricValue(await scrapeMetrics(`${baseUrl}/metrics`), 'gateway_queue_jobs', { queue: 'chat', state })), timeoutMs, 100);
}

/** Waits until the app has printed `count` lines matching the pattern (its stdout may trail the HTTP answers). */
async function untilLines(app: AppProcess, pattern: RegExp, count: number, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => (app.output().match(new RegExp(pattern.source, 'g')) ?? []).length >= count, timeoutMs).catch(() => undefined);
}

const finishedJobIds = (output: string): string[] =>
  output
    .split('\n')
    .filter((line) => line.includes('"msg":"chat job finished"'))
    .map((line) => (JSON.parse(line) as { jobId: string }).jobId);

describe('API graceful shutdown', () => {
  it('answers all 50 in-flight slow calls after SIGTERM, refuses new connections, exits 0', async () => {
    const env = environment();
    const [{ baseUrl, process: apiProcess }] = await Promise.all([api(env), worker(env)]);
    const calls = chat(baseUrl, 50, 'mock/x?latency=1500');
    await untilQueue(baseUrl, 'active', (value) => value === 50);
    const exitCode = apiProcess.stop('SIGTERM', 30_000);
    await apiProcess.waitForOutput(/"msg":"api stopping"/);
    await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
    const answers = await Promise.all(calls);
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(await exitCode).toBe(0);
  });

  it('answers what is still waiting at the bound with 503 and exits 0', async () => {
    const env = environment({ SHUTDOWN_TIMEOUT_MS: '500' });
    const [{ baseUrl, process: apiProcess }] = await Promise.all([api(env), worker(env)]);
    const calls = chat(baseUrl, 5, 'mock/x?latency=8000');
    await untilQueue(baseUrl, 'active', (value) => value === 5);
    expect(await apiProcess.stop('SIGTERM', 20_000)).toBe(0);
    const answers = await Promise.all(calls);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: { type: 'unavailable' } });
    }
  });
});

describe('worker graceful shutdown', () => {
  it('finishes its active jobs, takes no new ones, exits 0; another worker runs the rest: none lost, none twice', async () => {
    const env = environment();
    // 10 interactive slots: 10 calls in flight.
    const [{ baseUrl }, first] = await Promise.all([api(env), worker({ ...env, WORKER_CONCURRENCY: '10' })]);
    const calls = chat(baseUrl, 50, 'mock/x?latency=1500');
    await untilQueue(baseUrl, 'active', (value) => value === 10);
    expect(await first.stop('SIGTERM', 30_000)).toBe(0);
    const second = await worker(env);
    const answers = await Promise.all(calls);
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));
    await untilLines(second, /"msg":"chat job finished"/, 40);
    const firstJobs = finishedJobIds(first.output());
    const secondJobs = finishedJobIds(second.output());
    expect(firstJobs).toHaveLength(10);
    expect(secondJobs).toHaveLength(40);
    expect(new Set([...firstJobs, ...secondJobs]).size).toBe(50);
  });

  it('past the bound, hands its active jobs back to the queue and exits 0; another worker runs each once', async () => {
    const env = environment();
    const [{ baseUrl }, first] = await Promise.all([api(env), worker({ ...env, SHUTDOWN_TIMEOUT_MS: '500' })]);
    const calls = chat(baseUrl, 5, 'mock/x?latency=6000');
    await untilQueue(baseUrl, 'active', (value) => value === 5);
    expect(await first.stop('SIGTERM', 20_000)).toBe(0);
    expect(first.output().match(/"msg":"chat job handed back"/g)).toHaveLength(5);
    expect(finishedJobIds(first.output())).toHaveLength(0);
    await untilQueue(baseUrl, 'waiting', (value) => value === 5);
    const second = await worker(env);
    const answers = await Promise.all(calls);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    await untilLines(second, /"msg":"chat job finished"/, 5);
    expect(new Set(finishedJobIds(second.output())).size).toBe(5);
    expect(second.output()).not.toContain('"msg":"chat job failed"');
  });
});

describe('shutdown while Redis is unreachable', () => {
  it('still ends both processes by themselves (exit code, not a kill) soon after the bound', async () => {
    const ownRedis = await startRedis({ spawn: true });
    try {
      const env = { ...environment({ SHUTDOWN_TIMEOUT_MS: '500' }), REDIS_URL: ownRedis.url };
      const [{ process: apiProcess }, workerProcess] = await Promise.all([api(env), worker(env)]);
      await ownRedis.kill(true);
      const [apiExit, workerExit] = await Promise.all([apiProcess.stop('SIGTERM', 30_000), workerProcess.stop('SIGTERM', 30_000)]);
      // Killed by a signal once in CI (not reproduced since): say which, and what the processes said last.
      for (const [name, exit, app] of [
        ['api', apiExit, apiProcess],
        ['worker', workerExit, workerProcess],
      ] as const) {
        if (typeof exit !== 'number') console.log(`${name} ended by ${exit}; its last output:\n${app.output().slice(-3000)}`);
      }
      expect(typeof apiExit).toBe('number');
      expect(typeof workerExit).toBe('number');
    } finally {
      await ownRedis.stop();
    }
  });
});
