import { Base64VectorBytes } from '@gateway/contracts';
import { parseWithLongStringsAsBytes } from './answer-bytes';

const vector = (seed: number, dimensions = 256) =>
  Buffer.from(Float32Array.from({ length: dimensions }, (_, index) => Math.sin(seed + index)).buffer).toString('base64');

const answerOf = (vectors: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ object: 'list', data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })), model: 'm', ...extra });

describe('parseWithLongStringsAsBytes', () => {
  it('parses the answer with each long string as its bytes, byte for byte, the rest as JSON.parse gives it', () => {
    const vectors = [vector(1), vector(2), vector(3, 1536)];
    const text = answerOf(vectors, { usage: { prompt_tokens: 3, total_tokens: 3 } });
    const parsed = parseWithLongStringsAsBytes(Buffer.from(text))!;
    expect(parsed.count).toBe(3);
    const data = (parsed.answer as { data: { embedding: unknown; index: number }[] }).data;
    data.forEach((entry, index) => {
      const bytes = parsed.bytesOf(entry.embedding);
      expect(bytes).toBeInstanceOf(Base64VectorBytes);
      expect(bytes!.bytes.toString('latin1')).toBe(vectors[index]);
      expect(JSON.stringify(bytes)).toBe(JSON.stringify(vectors[index]));
    });
    const { data: _data, ...rest } = parsed.answer as Record<string, unknown>;
    const { data: _expected, ...expected } = JSON.parse(text) as Record<string, unknown>;
    expect(rest).toEqual(expected);
    // Short strings stay strings; no other value is taken for a vector.
    expect(parsed.bytesOf('m')).toBeUndefined();
    expect(parsed.bytesOf(3)).toBeUndefined();
  });

  it('finds vectors at any alignment in the body (the word-wise check reads the bytes around them one by one)', () => {
    for (let pad = 0; pad < 8; pad += 1) {
      const text = `${' '.repeat(pad)}${answerOf([vector(pad, 33)])}`;
      const body = Buffer.concat([Buffer.alloc(pad % 3), Buffer.from(text)]).subarray(pad % 3);
      const parsed = parseWithLongStringsAsBytes(body)!;
      const entry = (parsed.answer as { data: { embedding: unknown }[] }).data[0]!;
      expect(parsed.bytesOf(entry.embedding)!.bytes.toString('latin1')).toBe(vector(pad, 33));
    }
  });

  it('does not apply to a body with an escape, a long string that is not printable ASCII, or text that is not JSON', () => {
    const long = vector(4);
    expect(parseWithLongStringsAsBytes(Buffer.from(answerOf([long], { note: 'a \\"quoted\\" word' })))).toBeUndefined();
    // A raw control byte or a non-ASCII byte inside a vector (JSON.parse would refuse the first; neither is base64).
    for (const bad of [0x0a, 0x09, 0x01, 0x1f, 0xc3, 0x80, 0xff]) {
      for (const at of [1, 2, 3, 4, 100, long.length]) {
        const body = Buffer.from(answerOf([long]));
        body[body.indexOf(long) + at - 1] = bad;
        expect(parseWithLongStringsAsBytes(body)).toBeUndefined();
      }
    }
    // A DEL (0x7f) is printable for JSON: a string may hold it raw.
    expect(parseWithLongStringsAsBytes(Buffer.from(answerOf([`${long}\u007f`])))).toBeDefined();
    expect(parseWithLongStringsAsBytes(Buffer.from(`${answerOf([long])}}`))).toBeUndefined();
    expect(parseWithLongStringsAsBytes(Buffer.from(`{"data":"${long}`))).toBeUndefined();
  });
});
