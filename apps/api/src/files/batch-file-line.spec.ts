import { createBatchFileChecker, parseBatchFileLine } from './batch-file-line';

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { messages: [{ role: 'user', content: 'hi' }] }, ...fields });

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('batch file lines', () => {
  it('maps chat, Responses and embeddings lines onto the work the gateway runs', () => {
    expect(parseBatchFileLine(line({}), 1, undefined).request).toMatchObject({ messages: [{ role: 'user', content: 'hi' }] });
    const responses = parseBatchFileLine(line({ url: '/v1/responses', body: { input: 'hello', instructions: 'brief', max_output_tokens: 9 } }), 1, undefined);
    expect(responses.request).toMatchObject({
      messages: [
        { role: 'system', content: 'brief' },
        { role: 'user', content: 'hello' },
      ],
      max_tokens: 9,
    });
    expect(parseBatchFileLine(line({ url: '/v1/embeddings', body: { model: 'm', input: 'x' } }), 1, undefined).request).toMatchObject({ kind: 'embeddings' });
    expect(parseBatchFileLine(line({ body: { messages: [{ role: 'user', content: 'hi' }], cache: false } }), 1, undefined).cache).toBe(false);
    expect(parseBatchFileLine(line({}), 1, undefined).cache).toBeUndefined();
  });

  it('names the line and the field of the first problem', () => {
    expect(refusal(() => parseBatchFileLine('{', 3, undefined))).toMatch(/line 3: \(line\): not valid JSON/);
    expect(refusal(() => parseBatchFileLine(line({ method: 'GET' }), 4, undefined))).toMatch(/line 4: method/);
    expect(refusal(() => parseBatchFileLine(line({ url: '/v1/images' }), 5, undefined))).toMatch(/line 5: url/);
    expect(refusal(() => parseBatchFileLine(line({ url: '/v1/responses' }), 6, '/v1/chat/completions'))).toMatch(/line 6: url: every line/);
    expect(refusal(() => parseBatchFileLine(line({ body: { messages: 'no' } }), 7, undefined))).toMatch(/line 7: body\.messages/);
    expect(refusal(() => parseBatchFileLine(line({ url: '/v1/responses', body: { previous_response_id: 'resp_1' } }), 8, undefined))).toMatch(/line 8: body/);
    expect(refusal(() => parseBatchFileLine(line({ custom_id: '' }), 9, undefined))).toMatch(/line 9: custom_id/);
    expect(refusal(() => parseBatchFileLine(line({ body: { messages: [{ role: 'user', content: 'hi' }], cache: 1 } }), 10, undefined))).toMatch(
      /line 10: body\.cache: expected true or false/,
    );
  });

  it('refuses a custom_id used twice in one file, and a file past the request bound', () => {
    const checker = createBatchFileChecker(2);
    checker.check(line({ custom_id: 'x' }), 1);
    expect(refusal(() => checker.check(line({ custom_id: 'x' }), 2))).toMatch(/line 2: custom_id: x is used by an earlier line/);
    checker.check(line({ custom_id: 'y' }), 3);
    expect(refusal(() => checker.check(line({ custom_id: 'z' }), 4))).toMatch(/line 4: .*at most 2 requests/);
    expect(checker.url()).toBe('/v1/chat/completions');
  });
});
