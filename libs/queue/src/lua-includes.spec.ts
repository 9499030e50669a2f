import { resolveLuaIncludes } from './lua-includes';

describe('Lua includes resolved at load time', () => {
  const includes = {
    'includes/codes': 'local Code = {Done = 1}',
    'includes/bucket': '--- @include "includes/codes"\nlocal function bucket() return Code.Done end',
    'includes/rate': '--- @include "includes/codes"\n--- @include "includes/bucket"\nlocal function rate() return bucket() end',
  };

  it('puts each include in place of its line, its own includes first, each once however many files name it', () => {
    const source = resolveLuaIncludes('admit-2.lua', '-- admit-2.lua\n--- @include "includes/rate"\n--- @include "includes/bucket"\nreturn rate()', includes);
    expect(source.match(/local Code/g)).toHaveLength(1);
    expect(source.match(/local function bucket/g)).toHaveLength(1);
    expect(source.indexOf('local Code')).toBeLessThan(source.indexOf('local function bucket'));
    expect(source.indexOf('local function bucket')).toBeLessThan(source.indexOf('local function rate'));
    expect(source.startsWith('-- admit-2.lua\n')).toBe(true);
    expect(source.endsWith('return rate()')).toBe(true);
    expect(source).not.toContain('@include');
  });

  it('names a missing include and the file that asked for it', () => {
    expect(() => resolveLuaIncludes('rate-2.lua', '--- @include "includes/nowhere"\nreturn 1', includes)).toThrow(
      'rate-2.lua: missing include "includes/nowhere"',
    );
    expect(() => resolveLuaIncludes('x.lua', '--- @include "includes/deep"', { 'includes/deep': '--- @include "includes/gone"' })).toThrow(
      'includes/deep: missing include "includes/gone"',
    );
  });

  it('refuses a cycle', () => {
    const cyclic = { 'includes/a': '--- @include "includes/b"', 'includes/b': '--- @include "includes/a"' };
    expect(() => resolveLuaIncludes('x.lua', '--- @include "includes/a"', cyclic)).toThrow('include cycle x.lua -> includes/a -> includes/b -> includes/a');
  });

  it('leaves a file without include lines as it is', () => {
    expect(resolveLuaIncludes('x-1.lua', 'return 1', {})).toBe('return 1');
  });
});
