import { useGateway, waitFor } from '@gateway/testing';
import { usageReportSchema } from '@gateway/contracts';
import { GatewayClientError, GatewayLLMClient, GatewayTimeoutError, InvalidRequestError, UpstreamError, type StreamChunk } from './index';

const messages = [{ role: 'user' as const, content: 'Tell me a story' }];
const words = (count: number, word = 'w') => Array.from({ length: count }, (_, index) => `${word}${index}`).join(' ');
jest.setTimeout(60_000);

const { fake, gateway } = useGateway({
  name: 'client-stream',
  openRouter: { apiKey: 'sk-or-client-stream' },
  // Failures are provoked on purpose here: keep the circuits closed.
  env: { CIRCUIT_FAILURE_THRESHOLD: '100000' },
});
let client: GatewayLLMClient;
beforeAll(() => {
  client = new GatewayLLMClient({ baseUrl: gateway.baseUrl });
});

/** Reads a stream to its end or its error; returns the chunks and what was thrown. */
async function drain(stream: AsyncIterable<StreamChunk>, onChunk?: (chunk: StreamChunk, index: number) => void) {
  const chunks: StreamChunk[] = [];
  let error: unknown;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      onChunk?.(chunk, chunks.length - 1);
    }
  } catch (caught) {
    error = caught;
  }
  const text = chunks.map((chunk) => (chunk.type === 'content' ? chunk.content : '')).join('');
  return { chunks, error, text };
}

describe('GatewayLLMClient.stream() against a running gateway', () => {
  it('yields the content complete and in order, then the done chunk with usage and cost', async () => {
    const reply = words(60);
    fake.setBehaviour(() => ({ kind: 'reply', content: reply, cost: 0.00042, chunkDelayMs: 1 }));
    const { chunks, error, text } = await drain(client.stream('stream-agent', messages, { model: 'thudm/glm-4-9b-chat', maxTokens: 100 }));
    expect(error).toBeUndefined();
    expect(text).toBe(reply);
    expect(chunks.filter((chunk) => chunk.type === 'done')).toHaveLength(1);
    const done = chunks.at(-1);
    expect(done).toEqual({
      type: 'done',
      jobId: expect.any(String),
      model: 'thudm/glm-4-9b-chat',
      provider: 'openrouter',
      usage: { prompt_tokens: 4, completion_tokens: 60, total_tokens: 64 },
      costUsd: 0.00042,
      finishReason: 'stop',
    });
    expect(chunks.every((chunk) => chunk.jobId === done?.jobId && chunk.provider === 'openrouter')).toBe(true);
    expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true, max_tokens: 100 });

    // The stream was billed: usage() (GET /v1/usage, its contract in libs/contracts) shows its cost.
    const usage = await waitFor(async () => {
      const report = await client.usage();
      return (report.day.by_agent['stream-agent'] ?? 0) >= 0.00042 ? report : undefined;
    }, 15_000);
    if (!usage) throw new Error('no usage report');
    expect(usageReportSchema.parse(usage)).toEqual(usage);
    expect(usage.day.by_provider['openrouter']).toBeGreaterThanOrEqual(0.00042);
    expect(usage.month.spent_usd).toBeGreaterThanOrEqual(usage.day.spent_usd);
  });

  it('throws the typed error of an error event after the stream began, having yielded what came before', async () => {
    fake.setBehaviour(() => ({ kind: 'truncated-stream', content: 'this stream will break' }));
    const { chunks, error, text } = await drain(client.stream('stream-agent', messages));
    expect(text).toBe('this stream will break');
    expect(chunks.some((chunk) => chunk.type === 'done')).toBe(false);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ type: 'upstream_error', status: 502, requestId: expect.any(String), message: expect.stringContaining('stream') });
  });

  it('throws the usual typed errors for failures before the first byte', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 503 }));
    const down = await drain(client.stream('stream-agent', messages));
    expect(down.chunks).toEqual([]);
    expect(down.error).toBeInstanceOf(UpstreamError);
    expect(down.error).toMatchObject({ status: 502, attempts: [{ provider: 'openrouter', status: 503 }] });

    const invalid = await drain(client.stream('stream-agent', []));
    expect(invalid.error).toBeInstanceOf(InvalidRequestError);
    expect(invalid.error).toMatchObject({ status: 400, message: expect.stringContaining('messages') });
  });

  it.each([
    ['aborting the signal', 'abort'],
    ['leaving the loop', 'break'],
  ] as const)('cancels the job and its upstream call on %s', async (_label, how) => {
    const controller = new AbortController();
    const closedBefore = fake.closedConnections();
    fake.setBehaviour(() => ({ kind: 'reply', content: words(40, 'slow'), chunkDelayMs: 50 }));
    const stream = client.stream('stream-agent', messages, { signal: controller.signal });
    let jobId = '';
    const { chunks, error } = await drain(
      (async function* () {
        for await (const chunk of stream) {
          jobId = chunk.jobId;
          yield chunk;
          if (how === 'break') return;
          controller.abort(new Error('the caller gave up'));
        }
      })(),
    );
    expect(chunks).toHaveLength(1);
    if (how === 'abort') expect(error).toEqual(new Error('the caller gave up'));
    else expect(error).toBeUndefined();
    await waitFor(() => fake.closedConnections() > closedBefore, 10_000);
    expect(await client.waitForJob(jobId, { pollIntervalMs: 50, timeoutMs: 20_000 })).toEqual({ job_id: jobId, status: 'cancelled' });
  });

  it('throws GatewayTimeoutError (status 0) when the stream outlasts timeoutMs', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: words(40, 'slow'), chunkDelayMs: 100 }));
    const { chunks, error } = await drain(client.stream('stream-agent', messages, { timeoutMs: 1000 }));
    expect(chunks.some((chunk) => chunk.type === 'done')).toBe(false);
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    expect((error as GatewayClientError).status).toBe(0);
  });
});
