import { postJson, useGateway, waitFor, type AppProcess } from '@gateway/testing';

interface ProviderView {
  id: string;
  configured: boolean;
  role: string;
  deprecated: boolean;
  circuit: { state: string; consecutive_failures: number };
  calls: number;
  failures: number;
  failovers: number;
  skipped: number;
}

const KEY = 'sk-or-breaker-test';
const suite = useGateway({
  name: 'breaker',
  openRouter: { apiKey: KEY },
  env: {
    LLM_FALLBACKS: 'mock',
    OPENAI_API_KEY: 'sk-openai-test',
    CIRCUIT_FAILURE_THRESHOLD: '3',
    CIRCUIT_RESET_TIME_MS: '5000',
    PROVIDER_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'debug',
  },
  gateway: false,
});
const { fake: openrouter } = suite;
const api = suite.addApi();
const workers: AppProcess[] = [];

async function providers(): Promise<Record<string, ProviderView>> {
  const response = await fetch(`${api.baseUrl}/v1/providers`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { providers: ProviderView[] };
  return Object.fromEntries(body.providers.map((provider) => [provider.id, provider]));
}

async function chat(count: number): Promise<string[]> {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, index) => postJson(`${api.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: `question ${index}` }] })),
  );
  for (const answer of answers) expect(answer.status).toBe(200);
  return answers.map((answer) => (answer.body as { provider: string }).provider);
}

const finishedJobs = (worker: AppProcess) => worker.output().split('"msg":"chat job finished"').length - 1;
const startWorker = async () => {
  const worker = await suite.startWorker();
  workers.push(worker);
  return worker;
};

describe('circuit breaker shared by two worker processes', () => {
  it('opens for both, skips without calling, lets one trial through when both are busy, then closes', async () => {
    const calls: number[] = [];
    const upstreamCalls = () => openrouter.requests.length;

    // 1. Three failures, seen by whichever worker takes each job, open the circuit.
    const [workerA, workerB] = await Promise.all([startWorker(), startWorker()]);
    openrouter.setBehaviour(() => ({ kind: 'status', status: 503 }));
    for (let index = 0; index < 3; index += 1) expect(await chat(1)).toEqual(['mock']);
    calls.push(upstreamCalls());
    expect(upstreamCalls()).toBe(3);
    // Workers write their counters every 250 ms: /v1/providers shows them shortly after.
    let view = await waitFor(async () => {
      const current = await providers();
      const [openrouter, mock] = [current['openrouter'], current['mock']];
      return openrouter?.calls === 3 && openrouter.failures === 3 && openrouter.failovers === 3 && mock?.calls === 3 ? current : undefined;
    }, 5000).then((found) => found!);
    expect(view['openrouter']).toMatchObject({
      configured: true,
      role: 'primary',
      deprecated: false,
      circuit: { state: 'open' },
      calls: 3,
      failures: 3,
      failovers: 3,
    });
    expect(view['mock']).toMatchObject({ role: 'fallback', calls: 3 });

    // 2. Open for both: each worker skips OpenRouter without calling it.
    const skipped = (worker: AppProcess) => worker.output().includes('circuit open: provider skipped');
    for (let batch = 0; batch < 20 && !(skipped(workerA) && skipped(workerB)); batch += 1) {
      expect(await chat(4)).toEqual(['mock', 'mock', 'mock', 'mock']);
    }
    expect(skipped(workerA) && skipped(workerB)).toBe(true);
    calls.push(upstreamCalls());
    expect(upstreamCalls()).toBe(3);

    // 3. Two workers busy after the reset time: exactly one trial reaches the upstream; it fails and re-opens.
    const before = [finishedJobs(workerA), finishedJobs(workerB)];
    await waitFor(async () => (await providers())['openrouter']!.circuit.state === 'half_open', 20_000);
    // the trial hangs until PROVIDER_TIMEOUT_MS: the other jobs arrive while it is in flight
    openrouter.setBehaviour(() => ({ kind: 'hang' }));
    expect(await chat(10)).toEqual(Array.from({ length: 10 }, () => 'mock'));
    calls.push(upstreamCalls());
    expect(upstreamCalls()).toBe(4);
    expect((await providers())['openrouter']!.circuit.state).toBe('open');

    // 4. Open again: skipped by both.
    expect(await chat(5)).toEqual(Array.from({ length: 5 }, () => 'mock'));
    calls.push(upstreamCalls());
    expect(upstreamCalls()).toBe(4);

    // 5. After the reset time a slow successful trial closes it; only the trial reaches the upstream meanwhile.
    await waitFor(async () => (await providers())['openrouter']!.circuit.state === 'half_open', 20_000);
    openrouter.setBehaviour(() => ({ kind: 'reply', content: 'Back again', latencyMs: 800 }));
    const served = await chat(10);
    calls.push(upstreamCalls());
    expect(upstreamCalls()).toBe(5);
    expect(served.filter((provider) => provider === 'openrouter')).toHaveLength(1);
    expect(served.filter((provider) => provider === 'mock')).toHaveLength(9);
    expect((await providers())['openrouter']!.circuit).toMatchObject({ state: 'closed', consecutive_failures: 0 });

    // 6. Closed: every call goes to OpenRouter again.
    openrouter.setBehaviour(() => ({ kind: 'reply', content: 'Back again' }));
    expect(await chat(5)).toEqual(Array.from({ length: 5 }, () => 'openrouter'));
    calls.push(upstreamCalls());
    expect(upstreamCalls()).toBe(10);

    // Both workers took part in the busy phases.
    expect(finishedJobs(workerA)).toBeGreaterThan(before[0]!);
    expect(finishedJobs(workerB)).toBeGreaterThan(before[1]!);
    view = await waitFor(async () => {
      const current = await providers();
      const openrouter = current['openrouter'];
      return openrouter?.calls === 10 && openrouter.failures === 4 && openrouter.failovers === 4 && openrouter.skipped >= 4 + 9 + 5 + 9 ? current : undefined;
    }, 5000).then((found) => found!);
    expect(view['openrouter']).toMatchObject({ calls: 10, failures: 4, failovers: 4 });
    expect(view['openrouter']!.skipped).toBeGreaterThanOrEqual(4 + 9 + 5 + 9);
    expect(view['openai']).toMatchObject({ deprecated: true, configured: true, role: 'unused' });
    expect(view['anthropic']).toMatchObject({ deprecated: true, configured: false });
    expect(workers.every((worker) => worker.child.exitCode === null)).toBe(true);
    process.stdout.write(`breaker upstream call counts by phase: ${JSON.stringify(calls)}\n`);
    expect(calls).toEqual([3, 3, 4, 4, 5, 10]);
  }, 120_000);
});
