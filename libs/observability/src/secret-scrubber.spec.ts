import { Writable } from 'node:stream';
import pino from 'pino';
import { redactPaths } from './logger';
import { createSecretScrubber } from './secret-scrubber';

describe('createSecretScrubber', () => {
  it('removes every occurrence of each secret, longest first', () => {
    const scrub = createSecretScrubber(['sk-or-abcdefgh', 'sk-or-abcdefgh-longer', undefined]);
    expect(scrub('a sk-or-abcdefgh-longer b sk-or-abcdefgh c sk-or-abcdefgh')).toBe('a [redacted] b [redacted] c [redacted]');
  });
  it('leaves text alone when there is no secret, or the secret is too short to scrub safely', () => {
    expect(createSecretScrubber([])('hello')).toBe('hello');
    expect(createSecretScrubber(['abc'])('abc abc')).toBe('abc abc');
  });
});

describe('logger redaction', () => {
  it('hides secrets by field name and by value', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ redact: { paths: [...redactPaths], censor: '[redacted]' }, hooks: { streamWrite: createSecretScrubber(['sk-secret-value-1']) } }, sink);
    logger.info({ req: { headers: { authorization: 'Bearer abc', cookie: 'session=1', 'x-api-key': 'k1' } }, apiKey: 'k2', upstream: { token: 'k3' } }, 'a');
    logger.warn({ err: new Error('upstream said: invalid key sk-secret-value-1') }, 'b');
    const output = lines.join('');
    for (const secret of ['Bearer abc', 'session=1', 'k1', 'k2', 'k3', 'sk-secret-value-1']) expect(output).not.toContain(secret);
    expect(output).toContain('[redacted]');
  });
});
