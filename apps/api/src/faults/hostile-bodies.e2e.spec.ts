import { request } from 'node:http';
import { startApi, startRedis, stopAll, uniquePrefix, type AppProcess, type TestRedis } from '@gateway/testing';

// Bodies built to make a parser quadratic (the probes) must be answered at once, and the API must keep
// answering others meanwhile: /healthz is polled while each is sent.
jest.setTimeout(120_000);

let redis: TestRedis;
let api: { baseUrl: string; process: AppProcess };

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('hostile-bodies'), LLM_PROVIDER: 'mock' });
});
afterAll(async () => {
  await api?.process.stop();
  await stopAll(redis);
});

/** POSTs `body` to /v1/batches; its status and the milliseconds to the answer's end. */
function postBatch(body: Buffer, contentType: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${api.baseUrl}/v1/batches`, { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    // The API answers as soon as it refuses, and may close before the upload ends.
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls /healthz until `done` settles; the latency of each poll. */
async function pollHealth(done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  const latencies: number[] = [];
  while (!finished) {
    const started = performance.now();
    const response = await fetch(`${api.baseUrl}/healthz`, { signal: AbortSignal.timeout(60_000) });
    await response.text();
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return latencies;
}

describe('hostile batch bodies', () => {
  it.each([
    ['256 KiB of [] after a member name (JSON)', Buffer.from(`{"a" ${'[]'.repeat(131_072)}`), 'application/json'],
    ['1 MiB of [] after a member name (JSON)', Buffer.from(`{"a" ${'[]'.repeat(524_288)}`), 'application/json'],
    ['a 33 MB single line (JSONL)', Buffer.from(`{"messages": [{"role": "user", "content": "${'x'.repeat(33_000_000)}"}]}`), 'application/jsonl'],
  ])('%s is refused within a second while /healthz answers', async (_label, body, contentType) => {
    const answer = postBatch(body, contentType);
    const [{ status, ms }, health] = await Promise.all([answer, pollHealth(answer)]);
    process.stdout.write(
      `[hostile body] ${_label}: ${status} in ${Math.round(ms)} ms; /healthz max ${Math.round(Math.max(...health))} ms over ${health.length} polls\n`,
    );
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(ms).toBeLessThan(1000);
    expect(Math.max(...health)).toBeLessThan(1000);
  });
});
