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
});
