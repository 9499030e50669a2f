import { callsFor, jobView, noRateLimit, scriptedBehaviour, useGateway, waitFor } from '@gateway/testing';
import { GatewayLLMClient, UnavailableError, type StreamChunk } from './index';

// Real gateway processes (two API instances, a worker); the network between the client and them is cut by a
// fetch that breaks response bodies after a number of SSE events, as a flaky connection would.
jest.setTimeout(90_000);
const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ');

const suite = useGateway({
  name: 'client-resume',
  openRouter: { apiKey: 'sk-or-client-resume', behave: scriptedBehaviour },
  env: { PROVIDER_TIMEOUT_MS: '20000', STREAM_RESUME_GRACE_MS: '20000', ...noRateLimit },
  gateway: false,
});
const { fake } = suite;
const apiA = suite.addApi();
const apiB = suite.addApi();
suite.addWorker();

interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/**
 * A fetch whose SSE answers break off after `eventsPerConnection` events (the connection to the gateway is dropped
 * too), and that sends reconnections (GET …/stream) to the other API instance.
 */
function flakyFetch(eventsPerConnection: number, sent: SentRequest[]): typeof fetch {
  return async (input, init) => {
    let url = String(input);
    if (url.includes('/stream') && init?.method === 'GET') url = url.replace(apiA.baseUrl, apiB.baseUrl);
    sent.push({
      method: init?.method ?? 'GET',
      url,
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([name, value]) => [name.toLowerCase(), value])),
    });
    const response = await fetch(url, init);
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) return response;
    const reader = response.body.getReader();
    let events = 0;
    const cut = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await reader.read();
        if (done) return controller.close();
        const text = new TextDecoder().decode(value);
        events += text.split('\n\n').length - 1;
        controller.enqueue(value);
        if (events >= eventsPerConnection) {
          await reader.cancel();
          controller.error(new TypeError('network connection lost'));
        }
      },
      cancel: () => reader.cancel(),
    });
    return new Response(cut, { status: response.status, headers: response.headers });
  };
}

async function drain(stream: AsyncIterable<StreamChunk>) {
  const chunks: StreamChunk[] = [];
  let error: unknown;
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (caught) {
    error = caught;
  }
  return { chunks, error, text: chunks.map((chunk) => (chunk.type === 'content' ? chunk.content : '')).join('') };
}

describe('GatewayLLMClient resumes broken streams', () => {
  it('reconnects with the last event id (to another instance) and yields the whole answer once, one upstream call', async () => {
    const content = 'drip:30:50 client resumes';
    const sent: SentRequest[] = [];
    const client = new GatewayLLMClient({ baseUrl: apiA.baseUrl, fetch: flakyFetch(12, sent), resume: { maxResumes: 10, delayMs: 10 } });
    const { chunks, error, text } = await drain(client.stream('resume-agent', [{ role: 'user', content }]));
    expect(error).toBeUndefined();
    expect(text).toBe(words(50));
    expect(chunks.at(-1)).toMatchObject({ type: 'done', provider: 'openrouter' });
    expect(callsFor(fake, content)).toBe(1);
    const reconnects = sent.filter((request) => request.method === 'GET');
    expect(reconnects.length).toBeGreaterThanOrEqual(2);
    expect(reconnects.every((request) => /^\d+-\d+$/.test(request.headers['last-event-id'] ?? ''))).toBe(true);
    expect(sent[0]?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives up after maxResumes with the break as UnavailableError, and cancels the job it leaves', async () => {
    const content = 'drip:100:60 client gives up';
    const sent: SentRequest[] = [];
    const client = new GatewayLLMClient({ baseUrl: apiA.baseUrl, fetch: flakyFetch(3, sent), resume: { maxResumes: 2, delayMs: 10 } });
    const { error, chunks } = await drain(client.stream('resume-agent', [{ role: 'user', content }]));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(sent.filter((request) => request.method === 'GET')).toHaveLength(2);
    const jobId = chunks[0]?.jobId ?? '';
    expect(sent.at(-1)).toMatchObject({ method: 'DELETE' });
    // Cancelled at once (DELETE), not left to run for the 20 s grace.
    await waitFor(async () => ((await jobView(apiA.baseUrl, jobId))?.status === 'cancelled' ? true : undefined), 5000);
  });

  it('retries a POST whose answer was lost with the same Idempotency-Key: one job, one call', async () => {
    const content = 'slow:300 answer lost once';
    const sent: SentRequest[] = [];
    let dropped = false;
    const losingFetch: typeof fetch = async (input, init) => {
      sent.push({ method: init?.method ?? 'GET', url: String(input), headers: (init?.headers ?? {}) as Record<string, string> });
      const response = await fetch(input, init);
      if (dropped) return response;
      dropped = true;
      // The gateway did the work; its answer never reached the client.
      await response.text();
      throw new TypeError('socket hang up');
    };
    const client = new GatewayLLMClient({ baseUrl: apiA.baseUrl, fetch: losingFetch, retry: { maxRetries: 2, baseDelayMs: 10 } });
    const answer = await client.chat('retry-agent', [{ role: 'user', content }]);
    expect(answer.content).toBe(`re ${content}`);
    expect(sent).toHaveLength(2);
    expect(sent[0]?.headers['idempotency-key']).toBeDefined();
    expect(sent[1]?.headers['idempotency-key']).toBe(sent[0]?.headers['idempotency-key']);
    expect(callsFor(fake, content)).toBe(1);
  });
});
