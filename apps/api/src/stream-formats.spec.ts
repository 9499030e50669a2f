import { GatewayError, type ChatJobResult } from '@gateway/contracts';
import { openAiStreamFormat } from './dialects/chat-completions/stream-events';
import { gatewayStreamFormat } from './stream-formats';

const result: ChatJobResult = {
  content: '',
  model: 'm',
  provider: 'mock',
  usage: { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 },
  cost_usd: 0.5,
  finish_reason: 'length',
};

describe('stream formats', () => {
  it('OpenAI: the role rides on the first delta only; finish_reason, usage chunk and [DONE] at the end', () => {
    const format = openAiStreamFormat({ jobId: 'job-1', includeUsage: true });
    const [first] = format.chunk('Hel', 'm', 'mock');
    const [second] = format.chunk('lo', 'm', 'mock');
    expect(first).toMatchObject({
      id: 'chatcmpl-job-1',
      object: 'chat.completion.chunk',
      usage: null,
      choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }],
    });
    expect(second).toMatchObject({ choices: [{ delta: { content: 'lo' } }] });
    expect((second as { choices: { delta: object }[] }).choices[0]?.delta).not.toHaveProperty('role');
    expect(format.done({ ...result, content: 'Hello' }, 'job-1')).toEqual([
      expect.objectContaining({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }], usage: null }),
      expect.objectContaining({ choices: [], usage: result.usage, cost_usd: 0.5 }),
    ]);
    expect(format.terminator).toBe('[DONE]');
  });

  it('OpenAI: an empty answer still opens with the role; no usage chunk unless asked', () => {
    const events = openAiStreamFormat({ jobId: 'job-2', includeUsage: false }).done(result, 'job-2');
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ choices: [{ delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    expect(events[0]).not.toHaveProperty('usage');
  });

  it('errors take each surface’s shape', () => {
    const error = new GatewayError('rate_limited', 'slow down', { retryAfterSeconds: 2 });
    expect(openAiStreamFormat({ jobId: 'j', includeUsage: false }).error(error, 'req-1')).toEqual([
      {
        error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limited' },
      },
    ]);
    expect(gatewayStreamFormat().error(error, 'req-1')).toMatchObject([{ error: { type: 'rate_limited', message: 'slow down', request_id: 'req-1' } }]);
    expect(gatewayStreamFormat().terminator).toBeUndefined();
  });

  it('tool-call fragments: OpenAI chunks with delta.tool_calls (role on the first), and the gateway’s {tool_calls} events', () => {
    const fragments = [
      { index: 0, id: 'call_a', name: 'get_weather', arguments: '' },
      { index: 0, arguments: '{"city":"Paris"}' },
    ];
    const openAi = openAiStreamFormat({ jobId: 'job-3', includeUsage: false });
    expect(openAi.toolCalls(fragments.slice(0, 1), 'm', 'mock')[0]).toMatchObject({
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
          finish_reason: null,
        },
      ],
    });
    const later = openAi.toolCalls(fragments.slice(1), 'm', 'mock')[0] as { choices: { delta: Record<string, unknown> }[] };
    expect(later.choices[0]!.delta).toEqual({ tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] });
    const calls = [{ id: 'call_a', type: 'function' as const, function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }];
    expect(openAi.done({ ...result, finish_reason: 'tool_calls', tool_calls: calls }, 'job-3')[0]).toMatchObject({
      choices: [{ delta: {}, finish_reason: 'tool_calls' }],
    });
    const gateway = gatewayStreamFormat();
    expect(gateway.toolCalls(fragments, 'm', 'mock')[0]).toEqual({
      tool_calls: [
        { index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } },
        { index: 0, function: { arguments: '{"city":"Paris"}' } },
      ],
      model: 'm',
      provider: 'mock',
    });
    expect(gateway.done({ ...result, finish_reason: 'tool_calls', tool_calls: calls }, 'job-3')[0]).toMatchObject({
      done: true,
      finish_reason: 'tool_calls',
      tool_calls: calls,
    });
  });
});
