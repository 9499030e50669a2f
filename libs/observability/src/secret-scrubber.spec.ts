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
