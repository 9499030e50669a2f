import { GatewayError } from '@gateway/contracts';
import { createLineSplitter } from './line-splitter';

function split(chunks: string[], maxLineBytes = 100): [string, number][] {
  const lines: [string, number][] = [];
  const splitter = createLineSplitter(maxLineBytes, (line, number) => lines.push([line.toString('utf8'), number]));
  for (const chunk of chunks) splitter.push(Buffer.from(chunk));
  splitter.end();
  return lines;
}

describe('createLineSplitter', () => {
  it('hands over whole lines across chunk boundaries, numbered, \\r\\n or \\n, the last without its newline', () => {
    expect(split(['{"a":', '1}\r\n{"b"', ':2}\n\n{"c":3}'])).toEqual([
      ['{"a":1}', 1],
      ['{"b":2}', 2],
      ['', 3],
      ['{"c":3}', 4],
    ]);
  });

  it('keeps a multi-byte character split between chunks whole', () => {
    const bytes = Buffer.from('"é"\n');
    const lines: string[] = [];
    const splitter = createLineSplitter(100, (line) => lines.push(line.toString('utf8')));
    splitter.push(bytes.subarray(0, 2));
    splitter.push(bytes.subarray(2));
    splitter.end();
    expect(lines).toEqual(['"é"']);
  });

  it('refuses a line past the bound as soon as it passes it, naming its number', () => {
    const lines: string[] = [];
    const splitter = createLineSplitter(10, (line) => lines.push(line.toString('utf8')));
    splitter.push(Buffer.from('short\n12345'));
    let refused: unknown;
    try {
      splitter.push(Buffer.from('678901'));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).message).toMatch(/line 2 /);
    expect(lines).toEqual(['short']);
  });
});
