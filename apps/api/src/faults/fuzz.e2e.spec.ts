import fc from 'fast-check';
import { alive, noRateLimit, postJson, useGateway } from '@gateway/testing';
import { fuzzRequest, type FuzzRequest } from './fuzz-arbitraries';

jest.setTimeout(180_000);

const token = 'fuzz-token-0123456789';
const routes: [FuzzRequest['method'], string][] = [
  ['POST', '/v1/chat'],
  ['POST', '/v1/chat/stream'],
  ['POST', '/v1/jobs'],
  ['POST', '/v1/batches'],
  ['POST', '/v1/chat/completions'],
  ['POST', '/v1/embeddings'],
  ['GET', '/v1/models'],
  ['GET', '/v1/providers'],
  ['GET', '/healthz'],
  ['GET', '/metrics'],
  ['GET', '/admin/queues'],
  ['GET', '/v1/usage'],
  ['GET', '/v1/jobs/'],
  ['DELETE', '/v1/jobs/'],
  ['GET', '/v1/jobs/00000000-0000-4000-8000-000000000000/stream'],
  ['GET', '/v1/batches/'],
  ['GET', '/v1/models/'],
  ['GET', '/v1/batches'],
  ['DELETE', '/v1/batches/'],
];
const { gateway } = useGateway({
  name: 'fuzz',
  env: {
    LLM_PROVIDER: 'mock',
    GATEWAY_AUTH_TOKEN: token,
    GATEWAY_BODY_LIMIT_BYTES: '65536',
    BATCH_BODY_LIMIT_BYTES: '65536',
    CHAT_TIMEOUT_MS: '10000',
    // Fuzzed models may ask the mock to fail: keep its circuit closed.
    CIRCUIT_FAILURE_THRESHOLD: '1000000',
    ...noRateLimit,
  },
});

/** Sends one fuzzed request; returns its status and body text (the whole SSE text for a stream). */
async function send(request: FuzzRequest): Promise<{ status: number; text: string; contentType: string }> {
  const withBody = request.body !== undefined && !['GET', 'OPTIONS'].includes(request.method);
  const response = await fetch(`${gateway.baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    ...(withBody && request.body ? { body: Buffer.from(request.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') ?? '' };
}

const json = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const authorised = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
const valid = { agent_id: 'fuzz', messages: [{ role: 'user', content: 'hi \u0000 \uFEFF 👩‍👩‍👧' }], model: 'mock/fuzz' };
/** Runs first, so every kind of answer is reached whatever the random draw. */
const examples: [FuzzRequest][] = [
  [{ method: 'POST', path: '/v1/jobs', headers: authorised, body: json(valid) }],
  [{ method: 'POST', path: '/v1/batches', headers: authorised, body: json([valid, valid]) }],
  [{ method: 'POST', path: '/v1/embeddings', headers: authorised, body: json({ model: 'mock/fuzz-embed', input: ['hi \u0000 \uFEFF 👩‍👩‍👧', [1, 2]] }) }],
  [{ method: 'POST', path: '/v1/chat', headers: authorised, body: json({ messages: [{ role: 'user', content: 'a'.repeat(100_000) }] }) }],
  [{ method: 'POST', path: '/v1/chat/stream', headers: authorised, body: Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }],
  [{ method: 'POST', path: '/v1/chat/completions', headers: authorised, body: json(`${'['.repeat(5000)}${']'.repeat(5000)}`) }],
  [{ method: 'POST', path: '/v1/batches', headers: { ...authorised, 'content-type': 'text/plain' }, body: json([valid]) }],
  [
    {
      method: 'POST',
      path: '/v1/batches?completion_window=1h',
      headers: authorised,
      body: json({ requests: [valid], callback_url: 5, completion_window: { h: 1 } }),
    },
  ],
  [
    {
      method: 'POST',
      path: '/v1/batches',
      headers: { ...authorised, 'content-type': 'application/jsonl' },
      body: json(`${JSON.stringify(valid)}\n{"requests": [`),
    },
  ],
  [
    {
      method: 'POST',
      path: '/v1/batches',
      headers: authorised,
      body: json(`{"requests": [${JSON.stringify(valid)}], "requests": [${JSON.stringify(valid)}]}`),
    },
  ],
  [{ method: 'GET', path: '/v1/batches?limit=-1&after=%00', headers: authorised }],
  [{ method: 'GET', path: '/v1/batches/nope/results', headers: authorised }],
  [{ method: 'POST', path: '/v1/jobs', headers: { ...authorised, origin: 'http://evil.test' }, body: json(valid) }],
  [{ method: 'GET', path: '/v1/jobs/wait', headers: authorised }],
  [
    {
      method: 'POST',
      path: '/v1/chat',
      headers: authorised,
      body: json({ ...valid, tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'g' } } }),
    },
  ],
  [
    {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: authorised,
      body: json({
        model: 'mock/fuzz',
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
        response_format: { type: 'json_object' },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'see' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'done' },
        ],
      }),
    },
  ],
];

function isErrorEnvelope(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    return typeof body.error?.type === 'string' && typeof body.error.message === 'string';
  } catch {
    return false;
  }
}

describe('fuzzed requests against the running API', () => {
  it('every answer is a 2xx/3xx or a 4xx error envelope, never a 5xx', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fuzzRequest(routes, token), async (request) => {
        const answer = await send(request);
        seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
        const summary = `${request.method} ${request.path} -> ${answer.status} ${answer.text.slice(0, 200)}`;
        if (answer.status >= 500) throw new Error(`server error: ${summary}`);
        // A valid answer is what it says it is: JSON bodies parse.
        if (answer.status < 300 && answer.contentType.startsWith('application/json')) JSON.parse(answer.text);
        // Bull Board serves its page and assets; everything else fails with the envelope.
        if (answer.status >= 400 && !request.path.startsWith('/admin')) {
          if (!isErrorEnvelope(answer.text)) throw new Error(`no error envelope: ${summary}`);
        }
      }),
      { numRuns: 400, interruptAfterTimeLimit: 120_000, examples },
    );
    // The fuzzer reached past the front door: valid requests, refusals of every kind.
    const reached = [200, 202, 400, 401, 403, 404, 413, 415].filter((status) => (seen.get(status) ?? 0) > 0);
    expect(reached).toEqual([200, 202, 400, 401, 403, 404, 413, 415]);
    process.stdout.write(`fuzz statuses: ${JSON.stringify(Object.fromEntries(seen))}\n`);
  });

  it('is still healthy afterwards, every process up', async () => {
    expect([gateway.api, ...gateway.workers].map((app) => alive(app.child))).toEqual([true, true]);
    expect((await fetch(`${gateway.baseUrl}/healthz`)).status).toBe(200);
    const answer = await postJson(`${gateway.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: 'still here' }] }, { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    expect(gateway.api.output()).not.toMatch(/"msg":"unexpected error"/);
  });
});
