import { collectAll, gatewayFailure, startFakeOllama, type FakeOllama } from '@gateway/testing';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest } from '../types';
import { createOllamaAdapter } from './ollama-adapter';

const weather = { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const ask: ProviderChatRequest = { model: 'qwen3:8b', messages: [{ role: 'user', content: 'Weather in Paris and Rome?' }], tools: [weather] };
const calls = [
  { name: 'get_weather', arguments: { city: 'Paris' } },
  { name: 'get_weather', arguments: { city: 'Rome' } },
];
const signal = () => new AbortController().signal;

let fake: FakeOllama;
let adapter: ProviderAdapter;

beforeAll(async () => {
  fake = await startFakeOllama();
  adapter = createOllamaAdapter({ baseUrl: fake.url, timeoutMs: 1500 });
});
afterAll(async () => {
  await adapter.close();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('Ollama adapter: a tool loop on the wire', () => {
  it('reads whole calls with ids made here, sends them back with object arguments and the results with the tool’s name', async () => {
    fake.setBehaviour(() => ({ kind: 'tool-calls', calls }));
    const first = await adapter.chat(ask, signal());
    expect(first.finishReason).toBe('tool_calls');
    expect(first.toolCalls.map((call) => call.function)).toEqual([
      { name: 'get_weather', arguments: '{"city":"Paris"}' },
      { name: 'get_weather', arguments: '{"city":"Rome"}' },
    ]);
    for (const call of first.toolCalls) expect(call.id).toMatch(/^call_/);

    fake.setBehaviour(() => ({ kind: 'reply', content: 'Both sunny' }));
    const second = await adapter.chat(
      {
        ...ask,
        messages: [
          ...ask.messages,
          { role: 'assistant', content: null, tool_calls: first.toolCalls },
          { role: 'tool', tool_call_id: first.toolCalls[0]!.id, content: 'sunny' },
          { role: 'tool', tool_call_id: first.toolCalls[1]!.id, content: 'sunny' },
        ],
      },
      signal(),
    );
    expect(second).toMatchObject({ content: 'Both sunny', toolCalls: [], finishReason: 'stop', costUsd: 0 });
    expect((fake.requests[1]!.body as { messages: unknown[] }).messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }, { function: { name: 'get_weather', arguments: { city: 'Rome' } } }],
      },
      { role: 'tool', content: 'sunny', tool_name: 'get_weather' },
      { role: 'tool', content: 'sunny', tool_name: 'get_weather' },
    ]);
  });

  it('streams each call as one whole fragment, numbered across the stream; parallel_tool_calls false keeps the first', async () => {
    fake.setBehaviour(() => ({ kind: 'tool-calls', calls, content: 'Checking.' }));
    const parts = (await collectAll(adapter.chatStream(ask, signal()))) as ChatStreamPart[];
    const deltas = parts.flatMap((part) => (part.type === 'tool-call-delta' ? [part.delta] : []));
    expect(deltas.map(({ index, name, arguments: args }) => ({ index, name, args }))).toEqual([
      { index: 0, name: 'get_weather', args: '{"city":"Paris"}' },
      { index: 1, name: 'get_weather', args: '{"city":"Rome"}' },
    ]);
    expect(parts[0]).toEqual({ type: 'text-delta', text: 'Checking.' });
    expect(parts.at(-1)).toMatchObject({ type: 'stream-end', finishReason: 'tool_calls' });

    const single = (await collectAll(adapter.chatStream({ ...ask, parallel_tool_calls: false }, signal()))) as ChatStreamPart[];
    expect(single.filter((part) => part.type === 'tool-call-delta')).toHaveLength(1);
    expect((await adapter.chat({ ...ask, parallel_tool_calls: false }, signal())).toolCalls).toHaveLength(1);
  });

  it('sends images as bare base64 and structured output as format, which the real server accepts', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: '{"city":"Paris"}' }));
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const answer = await adapter.chat(
      {
        model: 'llava',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Which city?' },
              { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } },
            ],
          },
        ],
        response_format: { type: 'json_schema', json_schema: { name: 'c', schema } },
      },
      signal(),
    );
    expect(answer.content).toBe('{"city":"Paris"}');
    expect(fake.requests[0]!.body).toMatchObject({ format: schema, messages: [{ role: 'user', content: 'Which city?', images: ['/9j/4AAQSkZJRg=='] }] });
  });

  it('a body the server refuses (its 400) is the caller’s error, not a provider failure', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: 'never' }));
    // A remote image URL (the gateway's capability check refuses it before any call; here the adapter is called directly).
    const error = await gatewayFailure(
      adapter.chat(
        {
          model: 'llava',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'x' },
                { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
              ],
            },
          ],
        },
        signal(),
      ),
    );
    expect(error).toMatchObject({ type: 'invalid_request', details: { recovery: 'final', upstreamStatus: 400 } });
    expect(error.message).toContain('illegal base64');
  });
});
