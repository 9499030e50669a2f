import type { ChatJobResult } from '@gateway/contracts';
import type { BatchRecord } from '@gateway/queue';
import { batchOutputLine, completedLineJson } from './batch-output';

const now = Date.UTC(2026, 11, 7, 12, 0, 0, 500);
const created = Math.floor(now / 1000);
const base: ChatJobResult = {
  content: 'Hello "there"\n\u2028é€😀 \ud800',
  model: 'mock/x',
  provider: 'mock',
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  cost_usd: 0.0000123,
  finish_reason: 'stop',
};
const toolCalls = [{ id: 'call_1', type: 'function' as const, function: { name: 'f', arguments: '{"a":"\\"b\\""}' } }];
const results: Record<string, ChatJobResult> = {
  plain: base,
  'tool calls, no text (content null)': { ...base, content: '', tool_calls: toolCalls, finish_reason: 'tool_calls' },
  'tool calls beside text': { ...base, tool_calls: toolCalls },
  'no tool calls, empty text': { ...base, content: '' },
  'finish_reason null (stop)': { ...base, finish_reason: null },
  'logprobs, cached and reasoning tokens': {
    ...base,
    logprobs: { content: [{ token: 'Hi', logprob: -0.5, bytes: [72, 105], top_logprobs: [] }] },
    usage: { ...base.usage, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 3 } },
  },
  'reasoning blocks (not in a chat completion)': { ...base, reasoning_blocks: [{ text: 'hm', signature: 's' }] },
  'zero cost': { ...base, cost_usd: 0 },
};
const record = (endpoint?: string): BatchRecord => ({
  batchId: 'b0123456789abcdef',
  total: 3,
  createdAt: now - 60_000,
  customIds: ['first', '', 'c"3'],
  ...(endpoint ? { endpoint } : {}),
});
/** The line as batchOutputLine builds it, stringified: what completedLineJson must write byte for byte. */
const expected = (batch: BatchRecord, index: number, result: ChatJobResult) =>
  JSON.stringify(
    batchOutputLine(
      batch,
      { index, customId: batch.customIds[index] || undefined, view: { job_id: `${batch.batchId}-${index}`, status: 'completed', result } },
      'output',
    ),
  );

describe("a completed request's output line", () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(now));
  afterEach(() => jest.restoreAllMocks());

  it.each(Object.entries(results))('is batchOutputLine stringified, byte for byte: %s', (_name, result) => {
    for (const endpoint of [undefined, '/v1/chat/completions']) {
      for (const index of [0, 1, 2]) expect(completedLineJson(record(endpoint), index, result, created)).toBe(expected(record(endpoint), index, result));
    }
  });

  it('is the same for the other dialects (Responses, embeddings) and for embeddings among chat lines', () => {
    const embeddings: ChatJobResult = { ...base, content: '', embeddings: [[0.5, 1], 'AAAA'] as ChatJobResult['embeddings'] };
    expect(completedLineJson(record('/v1/responses'), 0, base, created)).toBe(expected(record('/v1/responses'), 0, base));
    expect(completedLineJson(record('/v1/embeddings'), 1, embeddings, created)).toBe(expected(record('/v1/embeddings'), 1, embeddings));
    expect(completedLineJson(record(), 2, embeddings, created)).toBe(expected(record(), 2, embeddings));
  });

  it("parses as OpenAI's result line", () => {
    expect(JSON.parse(completedLineJson(record(), 1, results['tool calls, no text (content null)']!, created))).toEqual({
      id: 'batch_req_b0123456789abcdef-1',
      custom_id: null,
      response: {
        status_code: 200,
        request_id: 'b0123456789abcdef-1',
        body: expect.objectContaining({
          object: 'chat.completion',
          created,
          choices: [expect.objectContaining({ message: expect.objectContaining({ content: null, tool_calls: toolCalls }) })],
        }),
      },
      error: null,
    });
  });
});
