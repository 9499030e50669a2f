import { piecesBytes, replyWithEmbeddingsData } from './reply-channel';
import { queuePrefixOf } from './prefixes';

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
