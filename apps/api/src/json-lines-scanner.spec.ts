import fc from 'fast-check';
import { GatewayError } from '@gateway/contracts';
import { createJsonLinesScanner } from './json-lines-scanner';

/** Scans `body` cut into pieces of `size` characters; the values read. */
function scan(body: string, size = body.length, maxLineChars?: number): unknown[] {
  const values: unknown[] = [];
  const scanner = createJsonLinesScanner((value) => values.push(value), maxLineChars);
  for (let start = 0; start < body.length; start += size) scanner.push(body.slice(start, start + size));
  scanner.end();
  return values;
}

const failure = (run: () => unknown): GatewayError => {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

const line = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.constantFrom('', ' ', '\t', '\r'),
);

describe('createJsonLinesScanner', () => {
  it('reads what splitting the whole body at its line ends reads, in pieces of any size', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), (lines, size) => {
        const body = lines.join('\n');
        const expected = body
          .split('\n')
          .filter((text) => text.trim() !== '')
          .map((text) => JSON.parse(text) as unknown);
        expect(scan(body, size)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('names the first line that is not JSON, whatever the pieces', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.integer({ min: 1, max: 20 }), (before, size) => {
        const body = [...before, '{nope', '{"fine": 1}'].join('\n');
        expect(failure(() => scan(body, size)).message).toContain(`line ${before.length + 1} is not valid JSON`);
      }),
    );
  });

  it('takes a line of exactly maxLineChars', () => {
    const text = JSON.stringify('x'.repeat(98));
    expect(scan(`${text}\n${text}`, 7, 100)).toEqual(['x'.repeat(98), 'x'.repeat(98)]);
  });

  it('refuses a line longer than maxLineChars with 413 as soon as it passes, naming it', () => {
    const values: unknown[] = [];
    const scanner = createJsonLinesScanner((value) => values.push(value), 100);
    scanner.push('1\n\n');
    const error = failure(() => {
      for (let piece = 0; piece < 1000; piece += 1) scanner.push('"xxxxxxxxxx');
    });
    expect(error.type).toBe('payload_too_large');
    expect(error.message).toBe('line 3 holds more than 100 characters');
    expect(values).toEqual([1]);
  });
});
