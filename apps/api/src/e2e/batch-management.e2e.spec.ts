import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import {
  postJson,
  startFakeServer,
  startGateway,
  startRedis,
  uniquePrefix,
  waitFor,
  type FakeServer,
  type GatewayProcesses,
  type TestRedis,
} from '@gateway/testing';

// Batches end to end: list, cancel, completion window, callback at the end, results paged and as JSONL, and a
// body refused while it arrives.
jest.setTimeout(120_000);

const CALLBACK_SECRET = 'batch-management-secret';
let redis: TestRedis;
let receiver: FakeServer;
let gateway: GatewayProcesses;

interface BatchBody {
  batch_id: string;
  status: string;
  total: number;
  done: boolean;
  counts: Record<string, number>;
  results?: Array<Record<string, unknown>>;
  has_more?: boolean;
  last_id?: string;
  expires_at?: number;
}

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startFakeServer((_request, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  gateway = await startGateway({
    REDIS_URL: redis.url,
    QUEUE_PREFIX: uniquePrefix('batch-mgmt'),
    LLM_PROVIDER: 'mock',
    LLM_DEFAULT_MODEL: 'mock/echo',
    WORKER_CONCURRENCY: '2',
    GATEWAY_RATE_RPS: '100000',
    GATEWAY_RATE_BURST: '100000',
    BATCH_MAX_REQUESTS: '1000',
    BATCH_BODY_LIMIT_BYTES: String(32 * 1024 * 1024),
    JOB_CALLBACK_ALLOWED_HOSTS: new URL(receiver.url).host,
    JOB_CALLBACK_SECRET: CALLBACK_SECRET,
  });
});
afterAll(async () => {
  await gateway?.stop();
  await receiver?.close();
  await redis?.stop();
});

const requests = (count: number, model = 'mock/echo') =>
  Array.from({ length: count }, (_, index) => ({ custom_id: `r${index}`, messages: [{ role: 'user', content: `n${index}` }], model }));

async function submit(body: unknown, query = ''): Promise<string> {
  const accepted = await postJson(`${gateway.baseUrl}/v1/batches${query}`, body);
  expect(accepted.status).toBe(202);
  return (accepted.body as { batch_id: string }).batch_id;
}

async function getBatch(batchId: string, query = ''): Promise<BatchBody> {
  const response = await fetch(`${gateway.baseUrl}/v1/batches/${batchId}${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as BatchBody;
}

/** waitFor's value, known to be there (waitFor throws when the condition is not met in time). */
function present<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

async function untilDone(batchId: string): Promise<BatchBody> {
  return present(
    await waitFor(
      async () => {
        const batch = await getBatch(batchId);
        return batch.done ? batch : undefined;
      },
      60_000,
      100,
    ),
  );
}

async function callbackAt(path: string) {
  return present(await waitFor(() => receiver.requests.find((request) => request.path === path), 30_000));
}

describe('listing and paging', () => {
  it('lists the caller’s batches newest first, paged with after and limit', async () => {
    const first = await submit(requests(1));
    const second = await submit(requests(1));
    const third = await submit(requests(1));
    const page = (await (await fetch(`${gateway.baseUrl}/v1/batches?limit=2`)).json()) as {
      object: string;
      data: BatchBody[];
      has_more: boolean;
      last_id: string;
    };
    expect(page.object).toBe('list');
    expect(page.data.map((batch) => batch.batch_id)).toEqual([third, second]);
    expect(page.has_more).toBe(true);
    const next = (await (await fetch(`${gateway.baseUrl}/v1/batches?limit=2&after=${page.last_id}`)).json()) as { data: BatchBody[] };
    expect(next.data[0]?.batch_id).toBe(first);
  });

  it('pages results with after and limit, and streams them all as JSONL', async () => {
    const batchId = await submit(requests(25));
    await untilDone(batchId);
    const firstPage = await getBatch(batchId, '?results=true&limit=10');
    expect(firstPage.results?.map((result) => result['custom_id'])).toEqual(Array.from({ length: 10 }, (_, index) => `r${index}`));
    expect(firstPage).toMatchObject({ has_more: true, last_id: `${batchId}-9`, status: 'completed' });
    const lastPage = await getBatch(batchId, `?results=true&limit=10&after=${batchId}-19`);
    expect(lastPage.results?.map((result) => result['custom_id'])).toEqual(['r20', 'r21', 'r22', 'r23', 'r24']);
    expect(lastPage.has_more).toBe(false);
    const response = await fetch(`${gateway.baseUrl}/v1/batches/${batchId}/results`);
    expect(response.headers.get('content-type')).toContain('application/jsonl');
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(25);
    expect(lines[24]).toMatchObject({ custom_id: 'r24', status: 'completed', result: { content: 'Mock reply to: n24' } });
    const bad = await fetch(`${gateway.baseUrl}/v1/batches/${batchId}?results=true&after=nope`);
    expect(bad.status).toBe(400);
  });
});

describe('cancel', () => {
  it('cancels what has not run: it never runs, finished results stay, and the callback says so', async () => {
    // Two slots and 2 s per request: a handful finish, the rest wait.
    const batchId = await submit({ requests: requests(40, 'mock/echo?latency=2000'), callback_url: `${receiver.url}/cancelled` });
    await waitFor(async () => ((await getBatch(batchId)).counts['completed'] ?? 0) >= 2, 30_000, 100);
    const response = await fetch(`${gateway.baseUrl}/v1/batches/${batchId}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const cancelled = (await response.json()) as BatchBody;
    expect(['cancelling', 'cancelled']).toContain(cancelled.status);
    const done = await untilDone(batchId);
    expect(done.status).toBe('cancelled');
    const completed = done.counts['completed'] ?? 0;
    expect(completed).toBeGreaterThanOrEqual(2);
    expect(completed).toBeLessThan(10);
    expect(completed + (done.counts['cancelled'] ?? 0)).toBe(40);
    // Nothing cancelled runs later.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await getBatch(batchId)).counts['completed']).toBe(completed);
    const results = await getBatch(batchId, '?results=true');
    expect(
      results.results
        ?.filter((result) => result['status'] === 'completed')
        .every((result) => (result['result'] as { content: string }).content.startsWith('Mock reply')),
    ).toBe(true);
    const callback = await callbackAt('/cancelled');
    expect(callback.body).toMatchObject({ batch_id: batchId, status: 'cancelled', done: true });
    const [, timestamp, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(callback.headers['x-gateway-signature'])) ?? [];
    expect(mac).toBe(
      createHmac('sha256', CALLBACK_SECRET)
        .update(`${timestamp}.${JSON.stringify(callback.body)}`)
        .digest('hex'),
    );
  });

  it('answers 404 for a batch that does not exist', async () => {
    expect((await fetch(`${gateway.baseUrl}/v1/batches/nope`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('completion window and callback', () => {
  it('ends requests not started within the window as expired, and calls back once at the end', async () => {
    const batchId = await submit(requests(30, 'mock/echo?latency=1500'), `?completion_window=2s&callback_url=${encodeURIComponent(`${receiver.url}/expired`)}`);
    const done = await untilDone(batchId);
    expect(done.status).toBe('expired');
    expect(done.counts['expired']).toBeGreaterThan(10);
    expect((done.counts['completed'] ?? 0) + (done.counts['expired'] ?? 0)).toBe(30);
    const callback = await callbackAt('/expired');
    expect(callback.body).toMatchObject({ batch_id: batchId, status: 'expired', done: true, counts: { expired: done.counts['expired'] } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests.filter((request) => request.path === '/expired')).toHaveLength(1);
  });

  it('calls back when every request completed', async () => {
    const batchId = await submit({ requests: requests(5), callback_url: `${receiver.url}/completed` });
    const callback = await callbackAt('/completed');
    expect(callback.body).toMatchObject({ batch_id: batchId, status: 'completed', counts: { completed: 5 } });
  });

  it.each([
    ['a window that is not a duration', '?completion_window=tomorrow', 'completion_window'],
    ['a callback host that is not allowed', `?callback_url=${encodeURIComponent('http://example.com/x')}`, 'not in'],
  ])('refuses %s with 400', async (_label, query, message) => {
    const response = await postJson(`${gateway.baseUrl}/v1/batches${query}`, requests(1));
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain(message);
  });
});

/** POSTs `bytes` of `line` repeated (after `head`), sent as fast as the server takes it; resolves with status and body. */
function postLargeJsonl(bytes: number, line: string, contentType = 'application/jsonl', head = ''): Promise<{ status: number; body: string }> {
  const url = new URL(`${gateway.baseUrl}/v1/batches`);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': contentType } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    const chunk = line.repeat(Math.ceil(65_536 / line.length));
    if (head) outgoing.write(head);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!outgoing.write(chunk)) return void outgoing.once('drain', pump);
      }
      outgoing.end();
    };
    pump();
  });
}

async function apiHeapBytes(): Promise<number> {
  const text = await (await fetch(`${gateway.baseUrl}/metrics`)).text();
  return Number(/^gateway_nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

describe('a large body, read as it arrives', () => {
  it('refuses 32 MiB of {} lines with a 400 while the heap stays bounded and /healthz answers', async () => {
    const before = await apiHeapBytes();
    let stop = false;
    let peak = before;
    let slowestHealthMs = 0;
    const watch = (async () => {
      while (!stop) {
        const started = performance.now();
        expect((await fetch(`${gateway.baseUrl}/healthz`)).status).toBe(200);
        slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
        peak = Math.max(peak, await apiHeapBytes());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const answer = await postLargeJsonl(32 * 1024 * 1024 - 4096, '{}\n');
    stop = true;
    await watch;
    process.stdout.write(
      `large body: ${answer.status}, API heap ${Math.round(before / 1e6)} MB before, peak ${Math.round(peak / 1e6)} MB, slowest /healthz ${Math.round(slowestHealthMs)} ms\n`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('invalid_request');
    expect(peak - before).toBeLessThan(100e6);
    expect(slowestHealthMs).toBeLessThan(500);
  });

  it('refuses a 32 MiB JSON array of {} as soon as its first requests are read', async () => {
    const before = await apiHeapBytes();
    const answer = await postLargeJsonl(32 * 1024 * 1024 - 4096, '{},', 'application/json', '[');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('requests.0.messages');
    expect((await apiHeapBytes()) - before).toBeLessThan(100e6);
  });

  it('refuses a body past the byte limit with a 413 before reading it all', async () => {
    const answer = await postLargeJsonl(33 * 1024 * 1024, `${JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(200_000) }] })}\n`);
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('payload_too_large');
  });

  it('refuses a compressed body with 415 (bodies are read as they arrive)', async () => {
    const response = await fetch(`${gateway.baseUrl}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not really gzip',
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { type: 'unsupported_media_type' } });
  });

  it('refuses more requests than BATCH_MAX_REQUESTS at the first one too many', async () => {
    const answer = await postLargeJsonl(4 * 1024 * 1024, `${JSON.stringify({ messages: [{ role: 'user', content: 'x' }] })}\n`);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('at most 1000');
  });
});
