import { type AnthropicBehaviour, collectAll, type FakeAnthropic, gatewayFailure, startFakeAnthropic, waitFor } from '@gateway/testing';
import type { ChatStreamPart, ProviderAdapter } from '../types';
import { ANTHROPIC_VERSION, createAnthropicAdapter } from './anthropic-adapter';

const request = {
  model: 'claude-3-5-haiku-latest',
  messages: [
    { role: 'system' as const, content: 'Be brief' },
    { role: 'user' as const, content: 'Say hello' },
  ],
  temperature: 0.5,
  max_tokens: 50,
};
const signal = () => new AbortController().signal;
const text = (parts: ChatStreamPart[]) => parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');

let fake: FakeAnthropic;
let adapter: ProviderAdapter;
const behave = (behaviour: AnthropicBehaviour) => fake.setBehaviour(() => behaviour);

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-ant-test' });
  adapter = createAnthropicAdapter({ baseUrl: fake.url, apiKey: 'sk-ant-test', timeoutMs: 1500 });
});
afterAll(async () => {
  await adapter.close();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('Anthropic adapter', () => {
  it('keeps the connection of a finished stream for the next call, and drops one left before its end', async () => {
    behave({ kind: 'reply', content: 'one two three' });
    await collectAll(adapter.chatStream(request, signal()));
    const opened = fake.openedConnections();
    // Ten streams back to back: the connection of one is read to its end in the background, so at most one more opens.
    for (let index = 0; index < 10; index += 1) await collectAll(adapter.chatStream(request, signal()));
    expect(fake.openedConnections() - opened).toBeLessThanOrEqual(1);
    // A consumer that stops at the first token (a cancel) leaves an unfinished answer: that connection is closed.
    behave({ kind: 'reply', content: 'a b c d e f', chunkDelayMs: 20 });
    const closed = fake.closedConnections();
    for await (const part of adapter.chatStream(request, signal())) if (part.type === 'text-delta') break;
    await waitFor(() => fake.closedConnections() > closed, 2000, 10);
    expect(fake.closedConnections()).toBe(closed + 1);
  });

  it('calls the Messages API with x-api-key, anthropic-version and the system message in `system`', async () => {
    behave({ kind: 'reply', content: 'Hello human', stopReason: 'max_tokens' });
    const answer = await adapter.chat(request, signal());
    expect(answer).toEqual({
      content: 'Hello human',
      toolCalls: [],
      model: 'claude-3-5-haiku-latest',
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
      costUsd: null,
      finishReason: 'length',
    });
    const sent = fake.requests[0]!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent.headers['anthropic-version']).toBe(ANTHROPIC_VERSION);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 50,
      system: 'Be brief',
      messages: [{ role: 'user', content: 'Say hello' }],
      temperature: 0.5,
    });
  });

  it('sends a max_tokens when the request has none, and joins consecutive turns of one role', async () => {
    behave({ kind: 'reply', content: 'ok' });
    await adapter.chat(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
      },
      signal(),
    );
    expect(fake.requests[0]!.body).toEqual({ model: 'm', max_tokens: 4096, messages: [{ role: 'user', content: 'a\n\nb' }] });
  });

  it('streams content_block_delta text, skipping pings, with usage from message_start and message_delta', async () => {
    behave({ kind: 'reply', content: 'one two three', chunkDelayMs: 5 });
    const parts = await collectAll(adapter.chatStream(request, signal()));
    expect(text(parts)).toBe('one two three');
    expect(parts.at(-2)).toEqual({ type: 'usage', usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 }, costUsd: null });
    expect(parts.at(-1)).toEqual({ type: 'stream-end', model: 'claude-3-5-haiku-latest', finishReason: 'stop' });
    expect(fake.requests[0]!.body).toMatchObject({ stream: true });
  });

  it('treats an error event after a 200 (overloaded_error) as a retryable failure', async () => {
    behave({ kind: 'error-event', content: 'partial', errorType: 'overloaded_error' });
    const error = await gatewayFailure(collectAll(adapter.chatStream(request, signal())));
    expect(error).toMatchObject({ type: 'upstream_error', details: { recovery: 'failover' } });
    expect(error.message).toContain('overloaded_error');
  });

  it.each([
    [400, 'invalid_request_error', 'invalid_request', 'final'],
    [404, 'not_found_error', 'invalid_request', 'final'],
    [401, 'authentication_error', 'upstream_error', 'failover'],
    [429, 'rate_limit_error', 'upstream_error', 'failover'],
    [500, 'api_error', 'upstream_error', 'failover'],
    [529, 'overloaded_error', 'upstream_error', 'failover'],
  ])('maps HTTP %i %s to %s (recovery %s)', async (status, errorType, type, recovery) => {
    behave({ kind: 'status', status, errorType, message: `says ${errorType}`, retryAfter: '3' });
    const error = await gatewayFailure(adapter.chat(request, signal()));
    expect(error).toMatchObject({ type, details: { recovery, upstreamStatus: status } });
    expect(error.message).toContain(`says ${errorType}`);
  });

  it('is refused with a wrong key without leaking it', async () => {
    const wrong = createAnthropicAdapter({ baseUrl: fake.url, apiKey: 'sk-ant-wrong-secret', timeoutMs: 1000 });
    const error = await gatewayFailure(wrong.chat(request, signal()));
    await wrong.close();
    expect(error.details.upstreamStatus).toBe(401);
    expect(JSON.stringify(error.toBody())).not.toContain('sk-ant-wrong-secret');
    expect(error.message).not.toContain('sk-ant-wrong-secret');
  });

  it('fails over on malformed JSON, a cut stream, a reset and a hang', async () => {
    behave({ kind: 'malformed' });
    expect((await gatewayFailure(adapter.chat(request, signal()))).details.recovery).toBe('failover');
    behave({ kind: 'truncated-stream', content: 'a b' });
    expect((await gatewayFailure(collectAll(adapter.chatStream(request, signal())))).details.recovery).toBe('failover');
    behave({ kind: 'reset' });
    expect((await gatewayFailure(adapter.chat(request, signal()))).details.recovery).toBe('failover');
    behave({ kind: 'hang' });
    expect((await gatewayFailure(adapter.chat(request, signal()))).type).toBe('timeout');
  });

  it('stops when the caller aborts, not retryable', async () => {
    behave({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await gatewayFailure(adapter.chat(request, controller.signal));
    expect(error.details.recovery).toBe('final');
  });

  describe('tools', () => {
    const weather = {
      type: 'function' as const,
      function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    };
    const time = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } };
    const ask = { model: 'claude-3-5-haiku-latest', messages: [{ role: 'user' as const, content: 'Weather and time in Paris?' }], tools: [weather, time] };

    it('runs the whole tool loop: tool_use blocks become tool calls, tool results go back as tool_result blocks', async () => {
      behave({
        kind: 'tool-use',
        content: 'Checking.',
        calls: [
          { name: 'get_weather', input: { city: 'Paris' } },
          { name: 'get_time', input: { zone: 'CET' } },
        ],
      });
      const first = await adapter.chat({ ...ask, tool_choice: 'required', parallel_tool_calls: true }, signal());
      expect(first).toMatchObject({ content: 'Checking.', finishReason: 'tool_calls' });
      expect(first.toolCalls).toEqual([
        { id: 'toolu_fake_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'toolu_fake_1', type: 'function', function: { name: 'get_time', arguments: '{"zone":"CET"}' } },
      ]);
      expect(fake.requests[0]!.body).toMatchObject({
        tools: [
          { name: 'get_weather', description: 'Weather of a city', input_schema: weather.function.parameters },
          { name: 'get_time', input_schema: time.function.parameters },
        ],
        tool_choice: { type: 'any' },
      });
      behave({ kind: 'reply', content: 'Sunny, and noon.' });
      const final = await adapter.chat(
        {
          ...ask,
          messages: [
            ...ask.messages,
            { role: 'assistant', content: 'Checking.', tool_calls: first.toolCalls },
            { role: 'tool', tool_call_id: 'toolu_fake_0', content: 'sunny' },
            { role: 'tool', tool_call_id: 'toolu_fake_1', content: 'noon' },
            { role: 'user', content: 'Thanks' },
          ],
        },
        signal(),
      );
      expect(final).toMatchObject({ content: 'Sunny, and noon.', toolCalls: [], finishReason: 'stop' });
      expect((fake.requests[1]!.body as { messages: unknown[] }).messages.slice(1)).toEqual([
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_fake_0', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_fake_1', name: 'get_time', input: { zone: 'CET' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_fake_0', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_fake_1', content: 'noon' },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ]);
    });

    it('streams parallel tool calls: content_block_start and input_json_delta fragments become tool-call deltas by call', async () => {
      behave({
        kind: 'tool-use',
        content: 'On it.',
        calls: [
          { name: 'get_weather', input: { city: 'Paris' } },
          { name: 'get_time', input: { zone: 'CET' } },
        ],
      });
      const parts = await collectAll(adapter.chatStream(ask, signal()));
      expect(text(parts)).toBe('On it.');
      const deltas = parts.flatMap((part) => (part.type === 'tool-call-delta' ? [part.delta] : []));
      expect(deltas.filter((delta) => delta.id)).toEqual([
        { index: 0, id: 'toolu_fake_0', name: 'get_weather', arguments: '' },
        { index: 1, id: 'toolu_fake_1', name: 'get_time', arguments: '' },
      ]);
      const args = (index: number) =>
        deltas
          .filter((delta) => delta.index === index)
          .map((delta) => delta.arguments)
          .join('');
      expect([args(0), args(1)]).toEqual(['{"city":"Paris"}', '{"zone":"CET"}']);
      expect(parts.at(-1)).toEqual({ type: 'stream-end', model: 'claude-3-5-haiku-latest', finishReason: 'tool_calls' });
    });

    it('reports cached prompt tokens in OpenAI terms (prompt_tokens includes them)', async () => {
      behave({ kind: 'reply', content: 'ok', cacheReadTokens: 100 });
      const answer = await adapter.chat({ model: 'm', messages: [{ role: 'user', content: 'a b' }] }, signal());
      expect(answer.usage).toEqual({ prompt_tokens: 102, completion_tokens: 1, total_tokens: 103, prompt_tokens_details: { cached_tokens: 100 } });
    });

    it('sends images as base64 and URL sources, which the fake accepts', async () => {
      behave({ kind: 'reply', content: 'a cat' });
      const answer = await adapter.chat(
        {
          model: 'm',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'what?' },
                { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
                { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
              ],
            },
          ],
        },
        signal(),
      );
      expect(answer.content).toBe('a cat');
      expect((fake.requests[0]!.body as { messages: { content: unknown }[] }).messages[0]!.content).toEqual([
        { type: 'text', text: 'what?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ]);
    });

    it('the fake enforces Anthropic’s rules: a tool_result without its tool_use in the previous turn is a 400, not retried', async () => {
      const raw = await fetch(`${fake.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': ANTHROPIC_VERSION },
        body: JSON.stringify({
          model: 'm',
          max_tokens: 10,
          messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] }],
        }),
      });
      expect(raw.status).toBe(400);
      expect(await raw.text()).toContain('Each `tool_result` block must have a corresponding `tool_use` block in the previous message');
      // Through the adapter: a tool message whose call is not in the turn before (here two turns back).
      const error = await gatewayFailure(
        adapter.chat(
          {
            model: 'm',
            messages: [
              { role: 'user', content: 'q' },
              { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
              { role: 'user', content: 'interrupting' },
              { role: 'assistant', content: 'ok' },
              { role: 'tool', tool_call_id: 'toolu_1', content: 'late' },
            ],
          },
          signal(),
        ),
      );
      expect(error).toMatchObject({ type: 'invalid_request', details: { recovery: 'final', upstreamStatus: 400 } });
    });
  });
});
