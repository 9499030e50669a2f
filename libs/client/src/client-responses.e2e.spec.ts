import { callsFor, noRateLimit, scriptedBehaviour, useGateway } from '@gateway/testing';
import { GatewayLLMClient, InvalidRequestError, NotFoundError, type ResponseObject, type ResponseStreamEvent } from './index';

// Real gateway processes (two API instances, a worker) on the fake OpenRouter; `slow:`/`drip:` prompts pace it.
jest.setTimeout(90_000);
const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ');

const suite = useGateway({
  name: 'client-responses',
  openRouter: { apiKey: 'sk-or-client-responses', behave: scriptedBehaviour },
  env: { PROVIDER_TIMEOUT_MS: '20000', ...noRateLimit },
  gateway: false,
});
const { fake } = suite;
const apiA = suite.addApi();
const apiB = suite.addApi();
suite.addWorker();

const text = (response: ResponseObject) =>
  response.output
    .flatMap((item) => (item.type === 'message' && Array.isArray(item['content']) ? (item['content'] as { text?: string }[]) : []))
    .map((part) => part.text ?? '')
    .join('');

async function drain(stream: AsyncIterable<ResponseStreamEvent>) {
  const events: ResponseStreamEvent[] = [];
  let error: unknown;
  try {
    for await (const event of stream) events.push(event);
  } catch (caught) {
    error = caught;
  }
  return { events, error, text: events.map((event) => (event.type === 'response.output_text.delta' ? (event.delta ?? '') : '')).join('') };
}

/** A fetch that breaks SSE bodies after `events` events, and sends reads of a response (GET) to the other instance. */
function flakyFetch(events: number, gets: string[]): typeof fetch {
  return async (input, init) => {
    let url = String(input);
    if ((init?.method ?? 'GET') === 'GET' && url.includes('/v1/responses/')) {
      url = url.replace(apiA.baseUrl, apiB.baseUrl);
      gets.push(url);
    }
    const response = await fetch(url, init);
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || !response.body) return response;
    const reader = response.body.getReader();
    let seen = 0;
    const cut = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await reader.read();
        if (done) return controller.close();
        seen += new TextDecoder().decode(value).split('\n\n').length - 1;
        controller.enqueue(value);
        if (seen >= events) {
          await reader.cancel();
          controller.error(new TypeError('network connection lost'));
        }
      },
      cancel: () => reader.cancel(),
    });
    return new Response(cut, { status: response.status, headers: response.headers });
  };
}

describe('GatewayLLMClient on /v1/responses', () => {
  it('creates, retrieves (on the other instance), continues with previousResponseId, lists input items and deletes', async () => {
    const client = new GatewayLLMClient({ baseUrl: apiA.baseUrl });
    const other = new GatewayLLMClient({ baseUrl: apiB.baseUrl });
    const first = await client.createResponse('client first turn', { instructions: 'Be brief.', maxOutputTokens: 100, metadata: { run: 'c1' } });
    expect(first).toMatchObject({ object: 'response', status: 'completed', metadata: { run: 'c1' } });
    expect(text(first)).toBe('re client first turn');
    expect(first.usage?.total_tokens).toBeGreaterThan(0);
    expect(await other.getResponse(first.id)).toMatchObject({ id: first.id, status: 'completed' });

    const second = await other.createResponse('client second turn', { previousResponseId: first.id });
    expect(text(second)).toBe('re client second turn');
    // The provider got the stored conversation before the new turn.
    const sent = JSON.stringify(fake.requests.at(-1)!.body);
    expect(sent).toContain('client first turn');
    expect(sent).toContain('re client first turn');

    const items = await client.listResponseInputItems(second.id, { limit: 10 });
    expect(items.object).toBe('list');
    expect(JSON.stringify(items.data)).toContain('client second turn');

    expect(await client.deleteResponse(first.id)).toMatchObject({ id: first.id, deleted: true });
    await expect(other.getResponse(first.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('streams typed events in order, ending in response.completed with the whole text', async () => {
    const client = new GatewayLLMClient({ baseUrl: apiA.baseUrl });
    const { events, error, text: streamed } = await drain(client.streamResponse('drip:5:12 client stream'));
    expect(error).toBeUndefined();
    expect(streamed).toBe(words(12));
    expect(events[0]?.type).toBe('response.created');
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { status: 'completed' } });
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
  });

  it('a background stream cut off is read again on the other instance after its last event: nothing lost or repeated, one upstream call', async () => {
    const content = 'drip:30:40 client background stream';
    const gets: string[] = [];
    const client = new GatewayLLMClient({ baseUrl: apiA.baseUrl, fetch: flakyFetch(10, gets), resume: { maxResumes: 10, delayMs: 10 } });
    const { events, error, text: streamed } = await drain(client.streamResponse(content, { background: true }));
    expect(error).toBeUndefined();
    expect(streamed).toBe(words(40));
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.at(-1)?.type).toBe('response.completed');
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(gets.every((url) => url.startsWith(apiB.baseUrl) && /[?&]stream=true&starting_after=\d+$/.test(url))).toBe(true);
    expect(callsFor(fake, content)).toBe(1);
  });

  it('background: queued at once, waitForResponse sees it completed; cancelResponse cancels a slow one', async () => {
    const client = new GatewayLLMClient({ baseUrl: apiA.baseUrl });
    const queued = await client.createResponse('slow:200 client background', { background: true });
    expect(['queued', 'in_progress']).toContain(queued.status);
    const done = await client.waitForResponse(queued.id, { pollIntervalMs: 50, timeoutMs: 20_000 });
    expect(done.status).toBe('completed');
    expect(text(done)).toBe('re slow:200 client background');

    const slow = await client.createResponse('slow:15000 client cancel', { background: true });
    const cancelled = await client.cancelResponse(slow.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await client.waitForResponse(slow.id, { pollIntervalMs: 50, timeoutMs: 10_000 })).status).toBe('cancelled');
  });

  it('bad input is an InvalidRequestError naming the field (OpenAI’s param)', async () => {
    const client = new GatewayLLMClient({ baseUrl: apiA.baseUrl });
    const error: unknown = await client.createResponse('x', { temperature: 7 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request', param: 'temperature' });
    await expect(client.getResponse('resp_nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});
