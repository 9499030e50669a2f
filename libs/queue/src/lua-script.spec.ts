import { defineLuaFile, keyCountOf } from './lua-script';

describe('Lua files named for their key count', () => {
  it('takes the key count from the name, as BullMQ names its scripts', () => {
    expect(keyCountOf('admit-11.lua')).toBe(11);
    expect(keyCountOf('token-bucket-1.lua')).toBe(1);
    expect(keyCountOf('budget-reserve.lua')).toBe('variable');
    expect(defineLuaFile('budget-settle-10.lua', 'return 1', '-- prelude\n')).toMatchObject({
      name: 'budget-settle',
      numberOfKeys: 10,
      source: '-- prelude\nreturn 1',
    });
  });

  it('refuses a name that is not <name>.lua or <name>-<keys>.lua', () => {
    for (const name of ['admit-11.js', 'Admit.lua', 'admit-.lua', '-1.lua']) expect(() => keyCountOf(name)).toThrow(/a Lua file is named/);
  });
});
