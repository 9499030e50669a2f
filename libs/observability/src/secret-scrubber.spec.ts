import { createSecretScrubber, scrubUrlPasswords } from './secret-scrubber';

describe('createSecretScrubber', () => {
  it('removes every occurrence of each secret, longest first', () => {
    const scrub = createSecretScrubber(['sk-or-abcdefgh', 'sk-or-abcdefgh-longer', undefined]);
    expect(scrub('a sk-or-abcdefgh-longer b sk-or-abcdefgh c sk-or-abcdefgh')).toBe('a [redacted] b [redacted] c [redacted]');
  });
  it('removes a secret echoed encoded: base64 and base64url (at any alignment, in a longer value), URL-encoded, hex', () => {
    const key = 'sk-or-v1-0123456789abcdef/+?&=secret';
    const scrub = createSecretScrubber([key]);
    const whole = [
      Buffer.from(key).toString('base64'),
      Buffer.from(key).toString('base64url'),
      encodeURIComponent(key),
      Buffer.from(key).toString('hex'),
      Buffer.from(key).toString('hex').toUpperCase(),
    ];
    for (const echo of whole) expect(scrub(`invalid key ${echo}.`)).toBe('invalid key [redacted].');
    // Inside a longer value, what stays is the neighbours' text and at most a character of the key at each end.
    expect(scrub(`auth Basic ${Buffer.from(`user:${key}`).toString('base64')}`)).toBe('auth Basic dXNlcjp[redacted]Q=');
    expect(scrub(`auth Basic ${Buffer.from(`u:${key}`).toString('base64')}`)).toBe('auth Basic dTp[redacted]Q=');
    expect(scrub(`auth Basic ${Buffer.from(`:${key}`).toString('base64')}`)).toBe('auth Basic On[redacted]A==');
    expect(scrub(`token ${Buffer.from(`${key} and more`).toString('base64url')}`)).toBe('token [redacted]IGFuZCBtb3Jl');
  });

  it('leaves text alone when there is no secret, or the secret is too short to scrub safely', () => {
    expect(createSecretScrubber([])('hello')).toBe('hello');
    expect(createSecretScrubber(['abc'])('abc abc')).toBe('abc abc');
  });
});

describe('scrubUrlPasswords', () => {
  it.each([
    ['redis://user:pass@host:6379', 'redis://user:[redacted]@host:6379'],
    ['rediss://:only-password@host', 'rediss://:[redacted]@host'],
    ['a https://a:b@x.example/p and amqp://u:v@q', 'a https://a:[redacted]@x.example/p and amqp://u:[redacted]@q'],
    ['"url":"redis://u:p@h"', '"url":"redis://u:[redacted]@h"'],
  ])('%s → %s', (input, expected) => {
    expect(scrubUrlPasswords(input)).toBe(expected);
    expect(createSecretScrubber([])(input)).toBe(expected);
  });

  it.each(['redis://host:6379', 'mail me at a@b.example', 'https://user@host/x', 'http://host/a:b@c'])('leaves %s alone', (input) => {
    expect(scrubUrlPasswords(input)).toBe(input);
  });
});
