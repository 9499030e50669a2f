import {
  embeddingInputsOf,
  embeddingsDataPieces,
  embeddingsDataText,
  embeddingsRequestSchema,
  embeddingsResponseAround,
  embeddingsResponseText,
  embeddingVectorsPieces,
  embeddingVectorsText,
  embeddingVectorTexts,
  toEmbeddingsResponse,
} from './embeddings';

describe('embeddings contracts', () => {
  it('reads every input shape as a list of inputs', () => {
    expect(embeddingInputsOf('one')).toEqual(['one']);
    expect(embeddingInputsOf(['a', 'b'])).toEqual(['a', 'b']);
    expect(embeddingInputsOf([1, 2, 3])).toEqual([[1, 2, 3]]);
    expect(embeddingInputsOf([[1], [2, 3]])).toEqual([[1], [2, 3]]);
  });

  it('refuses an empty list, an empty string, mixed inputs and a bad encoding, naming the field', () => {
    const issues = (body: unknown) => embeddingsRequestSchema.safeParse(body).error?.issues.map((issue) => issue.path.join('.')) ?? [];
    expect(embeddingsRequestSchema.safeParse({ model: 'm', input: [] }).success).toBe(false);
    expect(embeddingsRequestSchema.safeParse({ model: 'm', input: ['a', ''] }).success).toBe(false);
    expect(embeddingsRequestSchema.safeParse({ model: 'm', input: ['a', [1]] }).success).toBe(false);
    expect(issues({ model: 'm', input: 'a', encoding_format: 'int8' })).toContain('encoding_format');
  });

  it('writes the same JSON as JSON.stringify, base64 vectors copied as they are', () => {
    for (const embeddings of [
      ['AAAAPw==', 'AACAPw=='],
      [[0.5, -1.25e-7], [3]],
      // Not base64 (a quote, a newline, a character beyond ASCII, one padding too many): escaped as JSON.stringify would.
      ['AB"C', 'AB\nC', 'ABé=', 'A===', 'A\\BC', '\ud800AAA'],
    ]) {
      const result = { model: 'm"odel', embeddings, usage: { prompt_tokens: 4 } };
      expect(embeddingsResponseText(result)).toBe(JSON.stringify(toEmbeddingsResponse(result)));
    }
  });

  it('writes the data list and the answer around it as pieces that join into the same text, saying when they are all ASCII', () => {
    for (const [embeddings, ascii] of [
      [['AAAAPw==', 'AACAPw==', ''], true],
      [[[0.5, -1.25e-7], [3]], true],
      [['AAAAPw==', 'ABé='], false],
    ] as const) {
      const vectors = embeddings.map((vector) => (typeof vector === 'string' ? vector : [...vector]));
      const texts = embeddingVectorTexts(vectors);
      expect(texts.ascii).toBe(ascii);
      expect(embeddingsDataPieces(texts.texts).join('')).toBe(embeddingsDataText(vectors));
      expect(embeddingVectorsPieces(texts.texts).join('')).toBe(embeddingVectorsText(vectors));
      const result = { model: 'm', embeddings: vectors, usage: { prompt_tokens: 2 } };
      const { before, after } = embeddingsResponseAround(result);
      expect(JSON.parse(`${before}${embeddingsDataText(vectors)}${after}`)).toEqual(toEmbeddingsResponse(result));
    }
  });

  it('writes vectors kept apart as a JSON array that parses back equal: base64 byte for byte, floats number for number', () => {
    const floats = [0.1, -0.000123456789, 1e-7, 3.4028234663852886e38, 0];
    const base64 = Buffer.from(new Float32Array([0.25, -1.5, 1e-30]).buffer).toString('base64');
    for (const vectors of [[base64, 'AAAA'], [floats, [-2.5]], ['not "base64"\n']]) {
      expect(JSON.parse(embeddingVectorsText(vectors))).toEqual(vectors);
      expect(embeddingVectorsText(vectors)).toBe(JSON.stringify(vectors));
    }
  });
});
