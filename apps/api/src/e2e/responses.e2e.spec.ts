import OpenAI from 'openai';
import { noRateLimit, useGateway, waitFor } from '@gateway/testing';

// Two API instances and one worker on one Redis, the mock provider: the Responses API through the official SDK.
jest.setTimeout(60_000);
const ADMIN = 'admin-token-for-responses-e2e';
const suite = useGateway({
  name: 'responses',
  env: { LLM_PROVIDER: 'mock', LLM_DEFAULT_MODEL: 'mock/echo', GATEWAY_ADMIN_TOKEN: ADMIN, CIRCUIT_FAILURE_THRESHOLD: '1000', ...noRateLimit },
  gateway: false,
});
const apiA = suite.addApi();
const apiB = suite.addApi();
suite.addWorker();

const client = (baseUrl: string, apiKey: string) => new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0 });
let keyA: string;
let keyB: string;
let openai: OpenAI;
let openaiOnB: OpenAI;

async function createKey(): Promise<string> {
  const response = await fetch(`${apiA.baseUrl}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'responses' }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { key: string }).key;
}

beforeAll(async () => {
  keyA = await createKey();
  keyB = await createKey();
  openai = client(apiA.baseUrl, keyA);
  openaiOnB = client(apiB.baseUrl, keyA);
});

const weather = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'the weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('POST /v1/responses with the openai SDK', () => {
  it('creates a response in OpenAI shape, stored: retrieve, input_items, delete', async () => {
    const response = await openai.responses.create({ model: 'mock/echo', input: 'Hello Responses', instructions: 'be brief', metadata: { run: '1' } });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      instructions: 'be brief',
      metadata: { run: '1' },
      store: true,
      error: null,
      incomplete_details: null,
      usage: {
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
        input_tokens_details: { cached_tokens: 0 },
        output_tokens_details: { reasoning_tokens: 0 },
      },
    });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe('Mock reply to: Hello Responses');
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', annotations: [] }] });

    const again = await openaiOnB.responses.retrieve(response.id);
    expect(again.output_text).toBe('Mock reply to: Hello Responses');
    expect(again.status).toBe('completed');
    const items = await openai.responses.inputItems.list(response.id);
    expect(items.data).toEqual([expect.objectContaining({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello Responses' }] })]);

    await openai.responses.delete(response.id);
    const gone = await openai.responses.retrieve(response.id).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('streams typed events in OpenAI order, and the stream() helper assembles the final response', async () => {
    const stream = await openai.responses.create({ model: 'mock/echo', input: 'Stream me', stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('Mock reply to: Stream me');
    expect(sequence).toEqual(sequence.map((_, index) => index));
    const distinct = types.filter((type, index) => type !== types[index - 1]);
    expect(distinct).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);

    const helper = openai.responses.stream({ model: 'mock/echo', input: 'Helper' });
    const final = await helper.finalResponse();
    expect(final.output_text).toBe('Mock reply to: Helper');
    expect(final.status).toBe('completed');
  });

  it('runs a function-call tool loop with previous_response_id (on another instance) and without', async () => {
    const first = await openai.responses.create({ model: 'mock/echo', input: 'Weather in Paris?', tools: [weather] });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    if (call?.type !== 'function_call') throw new Error('no call');
    expect(call.id).toMatch(/^fc_/);
    expect(JSON.parse(call.arguments)).toHaveProperty('city');

    const output = { type: 'function_call_output' as const, call_id: call.call_id, output: '{"temperature": 21}' };
    const continued = await openaiOnB.responses.create({ model: 'mock/echo', previous_response_id: first.id, input: [output], tools: [weather] });
    expect(continued.status).toBe('completed');
    expect(continued.previous_response_id).toBe(first.id);
    expect(continued.output_text).not.toBe('');
    // It was billed for the whole conversation it sent.
    expect(continued.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);

    const whole = await openai.responses.create({
      model: 'mock/echo',
      store: false,
      tools: [weather],
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        output,
      ],
    });
    expect(whole.output_text).toBe(continued.output_text);
    const unstored = await openai.responses.retrieve(whole.id).catch((error: unknown) => error);
    expect(unstored).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('streams a tool call as function_call items with argument deltas', async () => {
    const final = await openai.responses.stream({ model: 'mock/echo', input: 'Weather?', tools: [weather] }).finalResponse();
    expect(final.output[0]).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
  });

  it('runs background responses: queued at once, polled to completed; a cancel stops a slow one', async () => {
    const queued = await openai.responses.create({ model: 'mock/echo?latency=300', input: 'later', background: true });
    expect(queued.status).toBe('queued');
    expect(queued.background).toBe(true);
    const done = await waitFor(async () => {
      const polled = await openaiOnB.responses.retrieve(queued.id);
      return polled.status === 'completed' ? polled : undefined;
    }, 10_000);
    expect(done.output_text).toBe('Mock reply to: later');

    const slow = await openai.responses.create({ model: 'mock/echo?latency=20000', input: 'never', background: true });
    await waitFor(async () => ((await openai.responses.retrieve(slow.id)).status === 'in_progress' ? true : undefined), 10_000);
    const cancelled = await openaiOnB.responses.cancel(slow.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await openai.responses.retrieve(slow.id)).status).toBe('cancelled');
  });

  it('resumes a background stream on the other instance with nothing lost or repeated', async () => {
    const model = 'mock/echo?chunk_delay=30&reply=' + encodeURIComponent(Array.from({ length: 30 }, (_, index) => `w${index}`).join(' '));
    const stream = await openai.responses.create({ model, input: 'go', background: true, stream: true });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    let id = '';
    for await (const event of stream) {
      seen.push(event);
      if (event.type === 'response.created') id = event.response.id;
      if (event.type === 'response.output_text.delta' && seen.length >= 8) break;
    }
    const last = seen.at(-1)!.sequence_number;
    const rest = await openaiOnB.responses.retrieve(id, { stream: true, starting_after: last });
    let text = '';
    for (const event of seen) if (event.type === 'response.output_text.delta') text += event.delta;
    const after: number[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of rest) {
      after.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(after[0]).toBe(last + 1);
    expect(after).toEqual(after.map((_, index) => last + 1 + index));
    expect(completed?.output_text ?? text).toBe(text);
    expect(text).toBe(Array.from({ length: 30 }, (_, index) => `w${index}`).join(' '));
  });

  it('answers 404 for another key’s response, and 400s in OpenAI’s shape naming the field', async () => {
    const mine = await openai.responses.create({ model: 'mock/echo', input: 'mine' });
    const other = client(apiA.baseUrl, keyB);
    expect(await other.responses.retrieve(mine.id).catch((error: unknown) => error)).toBeInstanceOf(OpenAI.NotFoundError);
    const continued = await other.responses.create({ model: 'mock/echo', input: 'x', previous_response_id: mine.id }).catch((error: unknown) => error);
    expect(continued).toBeInstanceOf(OpenAI.NotFoundError);

    // A built-in tool the model may use is left out of the call and named; one the request forces is refused.
    const dropped = await openai.responses
      .create({ model: 'mock/echo', input: 'x', tools: [{ type: 'web_search_preview' }, { type: 'function', name: 'f', parameters: {}, strict: false }] })
      .withResponse();
    expect(dropped.response.headers.get('x-gateway-dropped-tools')).toBe('web_search_preview');
    expect(dropped.data.tools).toEqual([expect.objectContaining({ type: 'function', name: 'f' })]);
    const forced = (await openai.responses
      .create({ model: 'mock/echo', input: 'x', tools: [{ type: 'web_search_preview' }], tool_choice: { type: 'web_search_preview' } })
      .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(forced).toBeInstanceOf(OpenAI.BadRequestError);
    expect(forced.error).toMatchObject({ type: 'invalid_request_error', param: 'tool_choice.type', message: expect.stringContaining('web_search_preview') });

    const include = (await openai.responses
      .create({ model: 'mock/echo', input: 'x', include: ['file_search_call.results'] })
      .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(include.error).toMatchObject({ param: 'include.0', message: expect.stringContaining('file_search_call.results') });

    const badItem = (await openai.responses
      .create({ model: 'mock/echo', input: [{ type: 'function_call_output', output: 'x' } as never] })
      .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(badItem.error).toMatchObject({ param: 'input.0.call_id' });
  });
});
