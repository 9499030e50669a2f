import { collectAll, gatewayFailure, startFakeCursor, type CursorBehaviour, type FakeCursor } from '@gateway/testing';
import type { ChatStreamPart, ProviderAdapter } from '../types';
import { createCursorAdapter } from './cursor-adapter';

const request = { model: 'auto', messages: [{ role: 'user' as const, content: 'Review this plan' }] };
const signal = () => new AbortController().signal;

let fake: FakeCursor;
let adapter: ProviderAdapter;
const behave = (behaviour: CursorBehaviour) => fake.setBehaviour(() => behaviour);

beforeAll(async () => {
  fake = await startFakeCursor();
  adapter = createCursorAdapter({ baseUrl: fake.url, timeoutMs: 1500 });
});
afterAll(async () => {
  await adapter.close();
  await fake.close();
});

describe('Cursor adapter (through the Cursor Agent HTTP adapter)', () => {
  it('posts chat completions to {CURSOR_ADAPTER_URL}/v1', async () => {
    behave({ kind: 'reply', content: 'Looks good' });
    const answer = await adapter.chat(request, signal());
    expect(answer).toMatchObject({ content: 'Looks good', model: 'auto', finishReason: 'stop' });
    expect(fake.requests.at(-1)).toMatchObject({ path: '/v1/chat/completions', body: { model: 'auto', messages: request.messages } });
  });

  it('streams', async () => {
    behave({ kind: 'reply', content: 'first second', chunkDelayMs: 5 });
    const parts = await collectAll(adapter.chatStream(request, signal()));
    expect(parts.map((part: ChatStreamPart) => (part.type === 'text-delta' ? part.text : '')).join('')).toBe('first second');
    expect(parts.at(-1)).toMatchObject({ type: 'stream-end', finishReason: 'stop' });
  });

  it.each([
    [400, 'invalid_request', 'final'],
    [502, 'upstream_error', 'failover'],
    [503, 'upstream_error', 'failover'],
    [504, 'upstream_error', 'failover'],
  ])('maps HTTP %i to %s (recovery %s)', async (status, type, recovery) => {
    behave({ kind: 'status', status, message: 'agent said no' });
    const error = await gatewayFailure(adapter.chat(request, signal()));
    expect(error).toMatchObject({ type, details: { recovery, upstreamStatus: status } });
    expect(error.message).toContain('agent said no');
  });

  it('maps the adapter’s 413 (a prompt over its bound, too long for the command line, or refused by the agent as too long) to a failure the request caused', async () => {
    behave({ kind: 'status', status: 413, message: 'the prompt has 300001 characters, over the limit of 300000' });
    const error = await gatewayFailure(adapter.chat(request, signal()));
    expect(error).toMatchObject({ type: 'payload_too_large', details: { recovery: 'failover-uncounted', upstreamStatus: 413 } });
  });

  it('fails on an error event mid-stream, a non-JSON answer and a hang', async () => {
    behave({ kind: 'error-mid-stream', content: 'some', message: 'agent crashed' });
    expect((await gatewayFailure(collectAll(adapter.chatStream(request, signal())))).message).toContain('agent crashed');
    behave({ kind: 'malformed' });
    expect((await gatewayFailure(adapter.chat(request, signal()))).details.recovery).toBe('failover');
    behave({ kind: 'hang' });
    expect((await gatewayFailure(adapter.chat(request, signal()))).type).toBe('timeout');
  });
});
