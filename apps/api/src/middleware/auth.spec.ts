import { createHash } from 'node:crypto';
import { presentedToken, tokenMatches } from './auth';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('presentedToken', () => {
  it.each([
    ['Bearer abc', false, 'abc'],
    ['bearer   abc  ', false, 'abc'],
    [basic('user:abc'), true, 'abc'],
    [basic(':a:b:c'), true, 'a:b:c'],
    [basic('user:abc'), false, undefined],
    [basic('no-colon'), true, undefined],
    ['Bearer', false, undefined],
    ['Token abc', true, undefined],
    [undefined, true, undefined],
  ])('%s (basic allowed: %s) → %s', (header, allowBasic, expected) => {
    expect(presentedToken(header, allowBasic)).toBe(expected);
  });
});

describe('tokenMatches', () => {
  const expected = createHash('sha256').update('secret-token').digest();
  it('matches only the exact token, whatever the length presented', () => {
    expect(tokenMatches('secret-token', expected)).toBe(true);
    expect(tokenMatches('secret-tokeN', expected)).toBe(false);
    expect(tokenMatches('', expected)).toBe(false);
    expect(tokenMatches('secret-token-and-more', expected)).toBe(false);
  });
});
