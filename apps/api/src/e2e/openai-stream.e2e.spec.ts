import OpenAI from 'openai';
import { postSse, useGateway, waitFor } from '@gateway/testing';

const messages = [{ role: 'user' as const, content: 'Tell me a story' }];
jest.setTimeout(60_000);

const { fake, gateway } = useGateway({
  name: 'openai-stream',
  openRouter: { apiKey: 'sk-or-openai-stream' },
  // Failures are provoked on purpose here: keep the circuits closed.
  env: { CIRCUIT_FAILURE_THRESHOLD: '100000' },
});
let openai: OpenAI;
beforeAll(() => {
  openai = new OpenAI({ baseURL: `${gateway.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

describe('POST /v1/chat/completions with stream: true (the official openai SDK)', () => {
  it('iterates chat.completion.chunk objects in order, then a usage chunk', async () => {
    const text = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ');
    fake.setBehaviour(() => ({ kind: 'reply', content: text, cost: 0.00042, chunkDelayMs: 2 }));
    const stream = await openai.chat.completions.create({
      model: 'thudm/glm-4-9b-chat',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      user: 'sdk-agent',
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(text);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === chunks[0]?.id)).toBe(true);
    expect(chunks[0]?.id).toMatch(/^chatcmpl-/);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const finishing = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishing.map((chunk) => chunk.choices[0]?.finish_reason)).toEqual(['stop']);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 4, completion_tokens: 40, total_tokens: 44 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(fake.requests.at(-1)?.body).toMatchObject({ stream: true, model: 'thudm/glm-4-9b-chat' });
  });

  it('sends no usage chunk unless asked, and ends with data: [DONE] on the wire', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: 'short answer here' }));
    const stream = await openai.chat.completions.create({ model: 'thudm/glm-4-9b-chat', messages, stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('short answer here');
    expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);

    const raw = await fetch(`${gateway.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages, stream: true }),
    });
    expect(raw.headers.get('content-type')).toContain('text/event-stream');
    expect((await raw.text()).trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('raises the SDK error from an OpenAI-shaped error event when the upstream breaks mid-stream', async () => {
    fake.setBehaviour(() => ({ kind: 'truncated-stream', content: 'this stream will break' }));
    const stream = await openai.chat.completions.create({ model: 'thudm/glm-4-9b-chat', messages, stream: true });
    const received: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    expect(received.join('')).toBe('this stream will break');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({
      type: 'api_error',
      code: 'upstream_error',
      param: null,
      message: expect.stringContaining('stream'),
    });

    // On the wire: the error event is the last one, and no [DONE] follows it.
    const raw = await postSse(`${gateway.baseUrl}/v1/chat/completions`, { messages, stream: true });
    expect(raw.status).toBe(200);
    expect(raw.events.at(-1)).toEqual({ error: { type: 'api_error', code: 'upstream_error', param: null, message: expect.any(String) } });
  });

  it('answers a failure before the first byte with its status and OpenAI error body', async () => {
    fake.setBehaviour(() => ({ kind: 'status', status: 503 }));
    const failure = await openai.chat.completions.create({ model: 'thudm/glm-4-9b-chat', messages, stream: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((failure as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'api_error', code: 'upstream_error' });

    const invalid = await openai.chat.completions.create({ model: 'thudm/glm-4-9b-chat', messages: [], stream: true }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('cancels the job when the SDK aborts the stream', async () => {
    fake.setBehaviour(() => ({ kind: 'reply', content: Array.from({ length: 40 }, (_, index) => `slow${index} `).join(''), chunkDelayMs: 50 }));
    const closedBefore = fake.closedConnections();
    const controller = new AbortController();
    const stream = await openai.chat.completions.create({ model: 'thudm/glm-4-9b-chat', messages, stream: true }, { signal: controller.signal });
    let received = 0;
    let jobId = '';
    // The SDK ends the iteration quietly when its signal aborts.
    for await (const chunk of stream) {
      jobId = chunk.id.replace(/^chatcmpl-/, '');
      received += 1;
      if (received === 3) controller.abort();
    }
    expect(received).toBe(3);
    await waitFor(() => fake.closedConnections() > closedBefore, 10_000);
    await waitFor(() => gateway.workers.some((worker) => worker.output().includes('chat job cancelled') && worker.output().includes(jobId)), 10_000);
  });
});
