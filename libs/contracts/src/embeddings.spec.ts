import { embeddingInputsOf, embeddingsRequestSchema, embeddingsResponseText, toEmbeddingsResponse } from './embeddings';

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
    ]) {
      const result = { model: 'm"odel', embeddings, usage: { prompt_tokens: 4 } };
      expect(embeddingsResponseText(result)).toBe(JSON.stringify(toEmbeddingsResponse(result)));
    }
  });
});
