import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { readBatchBody } from './batch-input';

/** Reads a whole JSON batch body as a request stream. */
function read(body: string) {
  const stream = Object.assign(new PassThrough(), { headers: {}, complete: false });
  const parsed = readBatchBody(stream as unknown as IncomingMessage, false, { limitBytes: 1024 * 1024, maxRequests: 10, maxRequestChars: 65_536 });
  stream.complete = true;
  stream.end(body);
  return parsed;
}

describe('batch body options', () => {
  const requests = '"requests": [{"messages": [{"role": "user", "content": "hi"}]}]';

  it('reads its options from the body', async () => {
    const parsed = await read(`{${requests}, "completion_window": "24h"}`);
    expect(parsed.options.completion_window).toBe('24h');
  });

  it('treats a member named __proto__ as an unknown option, never as the prototype its options inherit from', async () => {
    const parsed = await read(`{${requests}, "__proto__": {"completion_window": "1h", "callback_url": "http://127.0.0.1:1/hook"}}`);
    expect(parsed.options.completion_window).toBeUndefined();
    expect(parsed.options.callback_url).toBeUndefined();
    expect(Object.getPrototypeOf(parsed.options)).toBe(Object.prototype);
  });

  it('reads the response cache choices: the batch’s option and each request’s own (a non-boolean is a 400 naming it)', async () => {
    const lines = [
      '{"messages": [{"role": "user", "content": "a"}], "cache": false}',
      '{"custom_id": "x", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "b"}], "cache": true}}',
      '{"messages": [{"role": "user", "content": "c"}]}',
    ];
    const parsed = await read(`{"requests": [${lines.join(',')}], "cache": true}`);
    expect(parsed.options.cache).toBe(true);
    expect(parsed.items.map((item) => item.cache)).toEqual([false, true, undefined]);
    await expect(read(`{"requests": [{"messages": [{"role": "user", "content": "a"}], "cache": "yes"}]}`)).rejects.toThrow(
      /requests\.0\.cache: expected true or false/,
    );
    await expect(read(`{${requests}, "cache": "sometimes"}`)).rejects.toThrow(/cache/);
  });
});
