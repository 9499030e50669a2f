import { replyMessageSchema, type ChatJobResult } from '@gateway/contracts';
import { completedOutcomeJson } from './kept-outcomes';
import { queuePrefixOf } from './prefixes';
import { piecesBytes, replyEnvelope, replyWithEmbeddingsData, resultReplyEnvelope } from './reply-channel';

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

describe('reply bytes', () => {
  it('copies ASCII pieces into place after a UTF-8 head: the same bytes as encoding the whole text', () => {
    const head = '{"model":"modèle"}\n';
    const pieces = ['[', '"AAAAPw=="', ',', '[0.5,-1]', ']'];
    expect(piecesBytes(head, pieces, true).equals(Buffer.from(head + pieces.join(''), 'utf8'))).toBe(true);
    expect(piecesBytes('', [], true)).toHaveLength(0);
  });

  it('encodes pieces that are not all ASCII as UTF-8', () => {
    const pieces = ['["', 'ABé=', '"]'];
    expect(piecesBytes('h\n', pieces, false).toString('utf8')).toBe('h\n["ABé="]');
  });

  it("puts an embeddings result's data list after its envelope, on a line of its own", () => {
    const prefix = queuePrefixOf('reply-spec');
    const message = {
      kind: 'result' as const,
      job_id: 'j1',
      result: {
        content: '',
        model: 'm',
        provider: 'openrouter' as const,
        usage: { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 },
        cost_usd: 0,
        finish_reason: null,
      },
    };
    const reply = replyWithEmbeddingsData(prefix, 'api-1', message, { texts: ['"AAAAPw=="'], ascii: true });
    const text = reply.message.toString('utf8');
    const newline = text.indexOf('\n');
    expect(JSON.parse(text.slice(0, newline))).toEqual(message);
    expect(JSON.parse(text.slice(newline + 1))).toEqual([{ object: 'embedding', index: 0, embedding: 'AAAAPw==' }]);
    expect(reply.channel).toContain('api-1');
  });
});
