import { GatewayError } from '@gateway/contracts';
import { countMockTokens, createMockAdapter, parseMockDirectives } from './mock-adapter';

const request = { model: 'echo', messages: [{ role: 'user' as const, content: 'Hello there' }] };
const signal = () => new AbortController().signal;

describe('mock adapter', () => {
  it('answers deterministically with word-count usage', async () => {
    const adapter = createMockAdapter();
    const first = await adapter.chat(request, signal());
    expect(first).toEqual({
      content: 'Mock reply to: Hello there',
      toolCalls: [],
      model: 'echo',
      usage: { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 },
      costUsd: 0,
      finishReason: 'stop',
    });
    expect(await adapter.chat(request, signal())).toEqual(first);
  });

  it('streams the same content it answers', async () => {
    const adapter = createMockAdapter({ reply: 'one two  three' });
    let text = '';
    const types: string[] = [];
    for await (const part of adapter.chatStream(request, signal())) {
      types.push(part.type);
      if (part.type === 'text-delta') text += part.text;
    }
    expect(text).toBe('one two  three');
    expect(types).toEqual(['text-delta', 'text-delta', 'text-delta', 'usage', 'stream-end']);
  });

  it.each([
    ['upstream_error', true],
    ['timeout', true],
    ['invalid_request', false],
  ] as const)('fails as %s when told to', async (fail, retryable) => {
    const adapter = createMockAdapter();
    const error = await adapter.chat({ ...request, model: `echo?fail=${fail}` }, signal()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).type).toBe(fail);
    expect((error as GatewayError).details.retryable).toBe(retryable);
  });

  it('is cancelled by its signal while slow', async () => {
    const adapter = createMockAdapter({ latencyMs: 10_000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await expect(adapter.chat(request, controller.signal)).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('caps the answer at max_tokens', async () => {
    const answer = await createMockAdapter({ reply: 'a b c d e' }).chat({ ...request, max_tokens: 2 }, signal());
    expect(answer.content).toBe('a b');
    expect(answer.usage.completion_tokens).toBe(2);
  });

  it('ignores directives it cannot read', () => {
    expect(parseMockDirectives('x?latency=-5&fail=explode', { latencyMs: 7 })).toEqual({ reply: undefined, latencyMs: 7, chunkDelayMs: 0, fail: 'none', toolRounds: 1 });
    expect(countMockTokens('  ')).toBe(0);
  });
});
