import { defineLuaFile, keyCountOf } from './lua-script';

describe('Lua files named for their key count', () => {
  it('takes the key count from the name, as BullMQ names its scripts', () => {
    expect(keyCountOf('admit-12.lua')).toBe(12);
    expect(keyCountOf('token-bucket-1.lua')).toBe(1);
    expect(keyCountOf('budget-reserve.lua')).toBe('variable');
    expect(
      defineLuaFile('budget-settle-10.lua', '--- @include "includes/drop"\nreturn drop()', { 'includes/drop': 'local function drop() return 1 end' }),
    ).toMatchObject({
      name: 'budget-settle',
      numberOfKeys: 10,
      source: 'local function drop() return 1 end\nreturn drop()',
    });
  });

  it('refuses a name that is not <name>.lua or <name>-<keys>.lua', () => {
    for (const name of ['admit-11.js', 'Admit.lua', 'admit-.lua', '-1.lua']) expect(() => keyCountOf(name)).toThrow(/a Lua file is named/);
  });
});
