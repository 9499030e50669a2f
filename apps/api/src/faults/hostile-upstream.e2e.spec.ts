import { alive, noRateLimit, postJson, postSse, useGateway, type OpenRouterBehaviour } from '@gateway/testing';

// Each hostile answer ends in failover (to the mock fallback) or, pinned to the one provider, in a clear error,
// within the provider timeout: no stuck job, no crashed worker, no key in what the client sees.
jest.setTimeout(120_000);
const key = 'sk-or-hostile-e2e-0123456789';
const timeoutMs = 1500;
const hostile: OpenRouterBehaviour[] = [
  { kind: 'hang' },
  { kind: 'silent-after-headers', content: 'Hel' },
  { kind: 'malformed' },
  { kind: 'truncated-stream', content: 'one two' },
  { kind: 'wrong-content-type' },
  { kind: 'status', status: 429, retryAfter: '3' },
  { kind: 'status', status: 429 },
  { kind: 'status', status: 503 },
  { kind: 'huge', bytes: 20 * 1024 * 1024 },
  { kind: 'reset' },
  { kind: 'echo-key', status: 401 },
];

const suite = useGateway({
  name: 'hostile',
  openRouter: { apiKey: key },
  env: {
    LLM_FALLBACKS: 'mock',
    PROVIDER_TIMEOUT_MS: String(timeoutMs),
    // Every hostile answer must reach the provider: keep its circuit closed.
    CIRCUIT_FAILURE_THRESHOLD: '1000000',
    ...noRateLimit,
  },
  gateway: false,
});
const { fake } = suite;
const api = suite.addApi();
const worker = suite.addWorker();

describe('hostile upstream behind the worker', () => {
  it.each(hostile.map((behaviour) => [behaviour.kind + ('status' in behaviour ? ` ${behaviour.status}` : ''), behaviour] as const))(
    '%s: fails over to the fallback (a stream only before its first token)',
    async (_name, behaviour) => {
      fake.setBehaviour(() => behaviour);
      const started = Date.now();
      const answer = await postJson(`${api.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'hi' }] });
      expect([answer.status, (answer.body as { provider?: string }).provider]).toEqual([200, 'mock']);
      const stream = await postSse(`${api.baseUrl}/v1/chat/stream`, { messages: [{ role: 'user', content: 'hi' }] });
      // A stream that failed after its first token is not switched: it ends with an error event instead. (A huge one
      // may be cut at its size limit before anything was relayed, and fail over; or first overrun what the client
      // has left unread, STREAM_MAX_BUFFER_BYTES.) Never a mix of two providers' text.
      const last = stream.events.at(-1) as { done?: boolean; provider?: string; error?: { type: string } } | undefined;
      const text = stream.events.map((event) => (event as { content?: string }).content ?? '').join('');
      const afterFirstToken = ['silent-after-headers', 'truncated-stream'].includes(behaviour.kind);
      expect(stream.status).toBe(200);
      if (afterFirstToken || (behaviour.kind === 'huge' && last?.error)) {
        expect(last?.error?.type).toMatch(/^(upstream_error|timeout|unavailable)$/);
      } else {
        expect(last).toMatchObject({ done: true, provider: 'mock' });
        expect(text).toBe('Mock reply to: hi');
      }
      expect(Date.now() - started).toBeLessThan(2 * timeoutMs + 15_000);
      expect(alive(worker.child)).toBe(true);
    },
  );

  it('never lets the key an upstream echoes reach a client, a job view or a log', async () => {
    for (const behaviour of [{ kind: 'echo-key', status: 401 }, { kind: 'echo-key', status: 400 }, { kind: 'hang' }] as OpenRouterBehaviour[]) {
      fake.setBehaviour(() => behaviour);
      const answer = await postJson(`${api.baseUrl}/v1/jobs`, { messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.status).toBe(202);
      const jobId = (answer.body as { job_id: string }).job_id;
      const sync = await postJson(`${api.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'hi' }] });
      expect(JSON.stringify(sync.body)).not.toContain(key);
      const view = await (await fetch(`${api.baseUrl}/v1/jobs/${jobId}`)).text();
      expect(view).not.toContain(key);
    }
    expect(worker.output()).not.toContain(key);
    expect(api.process.output()).not.toContain(key);
  });
});
