import { replyMessageSchema, type ChatJobResult } from '@gateway/contracts';
import { completedOutcomeJson } from './kept-outcomes';
import { queuePrefixOf } from './prefixes';
import { replyEnvelope, resultReplyEnvelope } from './reply-channel';

const result: ChatJobResult = {
  content: 'Say "hi"\n\u2028 and {braces}',
  model: 'm/one',
  provider: 'openrouter',
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  cost_usd: 0.0001,
  finish_reason: 'stop',
  tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
};

describe('a result serialised once', () => {
  it('makes the same reply as the object would, for an awkward job id and content', () => {
    const prefix = queuePrefixOf('gw');
    const jobId = 'key-1:"odd"\\id';
    const json = JSON.stringify(result);
    const once = resultReplyEnvelope(prefix, 'api-1', jobId, json);
    expect(once).toEqual(replyEnvelope(prefix, 'api-1', { kind: 'result', job_id: jobId, result }));
    expect(replyMessageSchema.parse(JSON.parse(once.message))).toEqual({ kind: 'result', job_id: jobId, result });
  });

  it('makes the kept outcome the object would', () => {
    const json = completedOutcomeJson(JSON.stringify(result));
    expect(json).toBe(JSON.stringify({ state: 'completed', result }));
  });
});
