import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { limitIncludes } from './lua-includes';
import { LimitScriptCode } from './scripts';

const luaDir = join(__dirname, 'lua');
const read = (path: string) => readFileSync(join(luaDir, path), 'utf8');
const scriptFiles = readdirSync(luaDir).filter((name) => name.endsWith('.lua'));
const includeFiles = readdirSync(join(luaDir, 'includes')).filter((name) => name.endsWith('.lua'));
const allFiles = [...scriptFiles, ...includeFiles.map((name) => `includes/${name}`)];

/** The names and values of the TS enum (a numeric enum maps both ways: keep the names). */
const enumCodes = Object.fromEntries(Object.entries(LimitScriptCode).filter(([name]) => Number.isNaN(Number(name))));

describe('the limits Lua files', () => {
  it('name the reply codes exactly as LimitScriptCode does (includes/codes.lua)', () => {
    const table = /local Code = \{([^}]*)\}/.exec(read('includes/codes.lua'))?.[1] ?? '';
    const luaCodes = Object.fromEntries([...table.matchAll(/(\w+) = (-?\d+)/g)].map(([, name, value]) => [name, Number(value)]));
    expect(luaCodes).toEqual(enumCodes);
  });

  it.each(allFiles)('%s uses only codes of the enum, and no code as a number', (file) => {
    const source = read(file);
    for (const [, name] of source.matchAll(/\bCode\.(\w+)/g)) expect(Object.keys(enumCodes)).toContain(name);
    // A reply's code is its first value, or a code compared against: by name, never a literal (0 is a sign test).
    expect(source).not.toMatch(/return \{\s*-?[1-9]/);
    expect(source).not.toMatch(/\[1\] [=~]= -?[1-9]/);
    // Each file that reads a code includes the table itself (the loader keeps one copy).
    if (/\bCode\./.test(source) && file !== 'includes/codes.lua') expect(source).toContain('--- @include "includes/codes"');
  });

  it.each(allFiles)('%s opens with a header naming its KEYS, ARGV and what it returns', (file) => {
    const header = read(file)
      .split('\n')
      .filter((line, index, lines) => lines.slice(0, index + 1).every((above) => above.startsWith('--')));
    expect(header[0]).toMatch(new RegExp(`^-- ${file.replace('.', '\\.')}: `));
    if (file !== 'includes/codes.lua') expect(header.join('\n')).toMatch(/KEYS/);
    expect(header.join('\n')).toMatch(/Returns|Defines/);
  });

  it('has every include file in the map the loader resolves from, and nothing else', () => {
    expect(Object.keys(limitIncludes).sort()).toEqual(includeFiles.map((name) => `includes/${name.replace(/\.lua$/, '')}`).sort());
  });
});
