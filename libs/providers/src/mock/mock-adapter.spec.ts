import { GatewayError } from '@gateway/contracts';
import { countMockTokens, createMockAdapter } from './mock-adapter';
import { mockLimits, parseMockDirectives } from './mock-directives';

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
    ['upstream_error', 'failover'],
    ['timeout', 'failover'],
    ['invalid_request', 'final'],
  ] as const)('fails as %s when told to', async (fail, recovery) => {
    const adapter = createMockAdapter();
    const error = await adapter.chat({ ...request, model: `echo?fail=${fail}` }, signal()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).type).toBe(fail);
    expect((error as GatewayError).details.recovery).toBe(recovery);
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
    expect(parseMockDirectives('x?latency=-5&fail=explode', { latencyMs: 7 })).toEqual({
      reply: undefined,
      latencyMs: 7,
      chunkDelayMs: 0,
      fail: 'none',
      toolRounds: 1,
    });
    expect(countMockTokens('  ')).toBe(0);
  });

  it('bounds delays by its timeout and counts by mockLimits', () => {
    const directives = parseMockDirectives('x?latency=600000&chunk_delay=999999&tool_rounds=1000000', { timeoutMs: 500 });
    expect(directives).toMatchObject({ latencyMs: 501, chunkDelayMs: 501, toolRounds: mockLimits.toolRounds });
    expect(parseMockDirectives(`x?reply=${'a'.repeat(20_000)}`, {}).reply).toHaveLength(mockLimits.replyChars);
  });

  it('ends a call whose latency passes its timeout as a timeout, at the timeout', async () => {
    const started = Date.now();
    const error = await createMockAdapter({ timeoutMs: 100 })
      .chat({ ...request, model: 'x?latency=600000' }, signal())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ type: 'timeout', details: { recovery: 'failover' } });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ends a stream whose chunk delays add up past its timeout, and streams at most mockLimits.chunks chunks', async () => {
    const slow = createMockAdapter({ timeoutMs: 150 }).chatStream({ ...request, model: 'x?chunk_delay=60&reply=a%20b%20c%20d%20e' }, signal());
    const seen: string[] = [];
    const error = await (async () => {
      for await (const part of slow) if (part.type === 'text-delta') seen.push(part.text);
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ type: 'timeout' });
    expect(seen.length).toBeLessThan(5);
    let chunks = 0;
    for await (const part of createMockAdapter({ reply: 'w '.repeat(5000) }).chatStream(request, signal())) if (part.type === 'text-delta') chunks += 1;
    expect(chunks).toBe(mockLimits.chunks);
  });
});
