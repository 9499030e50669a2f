import { createRespCommandSplitter } from './redis-freeze-proxy';

const command = (...parts: string[]) => `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;

describe('the RESP command splitter of the freeze proxy', () => {
  it('gives whole commands however the bytes arrive', () => {
    const bytes = Buffer.from(command('EVALSHA', 'abc', '1', 'q:chat:completed', 'job\r\n1') + command('PING'));
    const split = createRespCommandSplitter();
    const commands = [...bytes].flatMap((byte) => split(Buffer.from([byte]))).map((each) => each.toString('latin1'));
    expect(commands).toEqual([command('EVALSHA', 'abc', '1', 'q:chat:completed', 'job\r\n1'), command('PING')]);
  });

  it('keeps a partial command until its end arrives', () => {
    const split = createRespCommandSplitter();
    const whole = command('SET', 'k', 'v');
    expect(split(Buffer.from(whole.slice(0, 12)))).toEqual([]);
    expect(split(Buffer.from(whole.slice(12))).map(String)).toEqual([whole]);
  });
});
