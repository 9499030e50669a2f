import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { measureTimeGrowth, type TimeGrowth } from '@gateway/testing';
import { readBatchBody } from './batch-input';
import { createJsonBatchScanner } from './json-batch-scanner';
import { createJsonLinesScanner } from './json-lines-scanner';

// Time per character must stay flat as hostile bodies double: time(2N) / time(N) under 3 (linear is 2, quadratic 4),
// the geometric mean of the steps over several sizes, each time the fastest of its runs. Ratios measured in one test,
// so a loaded machine slows every size alike.
jest.setTimeout(120_000);
const MAX_RATIO = 3;
const CHUNK = 65_536;
const KIB = 1024;

/** Feeds `body` to a JSON batch scanner in HTTP-sized pieces; a refusal is an answer too. */
function scanJson(body: string): void {
  const scanner = createJsonBatchScanner({ onItem: () => undefined, onOption: () => undefined });
  try {
    for (let start = 0; start < body.length; start += CHUNK) scanner.push(body.slice(start, start + CHUNK));
    scanner.end();
  } catch {
    // Refused: what matters is how long it took.
  }
}

/** Feeds `body` to a JSONL reader bounded as the API bounds it (a line holds at most a chat body, 1 MiB). */
function scanLines(body: string): void {
  const scanner = createJsonLinesScanner(() => undefined, 1024 * KIB);
  try {
    for (let start = 0; start < body.length; start += CHUNK) scanner.push(body.slice(start, start + CHUNK));
    scanner.end();
  } catch {
    // As above.
  }
}

/** Reads `body` through readBatchBody as a request stream in HTTP-sized pieces, with no bound but the size. */
async function readThrough(body: Buffer, jsonLines: boolean): Promise<void> {
  const stream = Object.assign(new PassThrough(), { headers: {}, complete: false });
  const read = readBatchBody(stream as unknown as IncomingMessage, jsonLines, {
    limitBytes: Number.MAX_SAFE_INTEGER,
    maxRequests: Number.MAX_SAFE_INTEGER,
    maxRequestChars: Number.POSITIVE_INFINITY,
  });
  for (let start = 0; start < body.length; start += CHUNK) stream.write(body.subarray(start, start + CHUNK));
  stream.complete = true;
  stream.end();
  await read.catch(() => undefined);
}

/** Fails naming the figures when the time per character grew with the size. */
function expectLinear(growth: TimeGrowth, shape: unknown): void {
  if (growth.typical >= MAX_RATIO) throw new Error(`time grew faster than the size: ${JSON.stringify({ shape, ...growth })}`);
}

/** `prefix` then `unit` repeated to `size` characters. */
const shaped = (prefix: string, unit: string) => (size: number) => prefix + unit.repeat(Math.ceil((size - prefix.length) / unit.length));

describe('the JSON batch scanner on hostile shapes', () => {
  // Sizes past the 1 MiB second-level cache of these machines: below it a character costs less, whatever the code.
  const sizes = [1024 * KIB, 2048 * KIB, 4096 * KIB, 8192 * KIB];
  it.each([
    ['empty arrays after a member name without a colon (the probe)', shaped('{"a" ', '[]')],
    ['empty arrays after a member value', shaped('{"a": 1 ', '[]')],
    ['deep nesting in a request', (size: number) => `[${'['.repeat(size / 2)}${']'.repeat(size / 2)}]`],
    ['deep nesting in a member', (size: number) => `{"a":${'{"b":'.repeat(size / 5)}1${'}'.repeat(size / 5)}, "requests": []}`],
    ['an unclosed deep request', shaped('{"requests": [', '[')],
    ['a long string', (size: number) => `["${'x'.repeat(size)}"]`],
    ['a long string of escapes', (size: number) => `{"a": "${'\\"'.repeat(size / 2)}", "requests": []}`],
    ['a long member name', (size: number) => `{"${'k'.repeat(size)}": 1, "requests": []}`],
    ['many members', shaped('{', '"a": "a member of 32 characters",')],
    ['many requests', (size: number) => `{"requests": [${'{},'.repeat(size / 3)}{}]}`],
  ])('%s', async (_label, makeBody) => {
    const bodies = new Map(sizes.map((size) => [size, makeBody(size)]));
    const growth = await measureTimeGrowth((size) => scanJson(bodies.get(size)!), sizes, { runs: 3 });
    expectLinear(growth, _label);
  });

  it('any repeated hostile pattern (fuzzed)', async () => {
    const pieces = fc.constantFrom('[', ']', '{', '}', '"', '\\', ',', ':', ' ', 'a', '1', '"requests"', '"a":', '[]', '{}', '\n');
    const prefixes = fc.constantFrom('[', '{', '{"requests": [', '{"a":', '{"a" ', '{"requests" ', '{"a": "');
    await fc.assert(
      fc.asyncProperty(prefixes, fc.array(pieces, { minLength: 1, maxLength: 8 }), async (prefix, unit) => {
        const make = shaped(prefix, unit.join(''));
        const fuzzSizes = [1024 * KIB, 2048 * KIB, 4096 * KIB];
        const bodies = new Map(fuzzSizes.map((size) => [size, make(size)]));
        const growth = await measureTimeGrowth((size) => scanJson(bodies.get(size)!), fuzzSizes, { runs: 3 });
        expectLinear(growth, { prefix, unit });
      }),
      { numRuns: 10 },
    );
  });
});

describe('the JSONL reader on hostile shapes', () => {
  it.each([
    ['one huge line', (size: number) => Buffer.from(`"${'x'.repeat(size)}`)],
    ['a huge line of escapes', (size: number) => Buffer.from(`"${'\\"'.repeat(size / 2)}`)],
  ])('%s, read as a request stream', async (_label, makeBody) => {
    const sizes = [2048 * KIB, 4096 * KIB, 8192 * KIB, 16_384 * KIB];
    const bodies = new Map(sizes.map((size) => [size, makeBody(size)]));
    const growth = await measureTimeGrowth((size) => readThrough(bodies.get(size)!, true), sizes, { runs: 3 });
    expectLinear(growth, _label);
  });

  it('any repeated hostile pattern (fuzzed)', async () => {
    const pieces = fc.constantFrom('\n', '\r', '"', '\\', 'x', '{', '}', '[', ']', ' ', '1', '{"a":1}', '\n\n');
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { minLength: 1, maxLength: 8 }), async (unit) => {
        const make = shaped('', unit.join(''));
        const sizes = [2048 * KIB, 4096 * KIB, 8192 * KIB];
        const bodies = new Map(sizes.map((size) => [size, make(size)]));
        const growth = await measureTimeGrowth((size) => scanLines(bodies.get(size)!), sizes, { runs: 3 });
        expectLinear(growth, { unit });
      }),
      { numRuns: 10 },
    );
  });
});

describe('the measure itself', () => {
  it('catches quadratic work and passes linear work', async () => {
    const quadratic = await measureTimeGrowth(
      (size) => {
        let sum = 0;
        for (let i = 0; i < size; i += 1) for (let j = 0; j < size; j += 1) sum += i ^ j;
        return sum;
      },
      [1000, 2000, 4000, 8000],
      { runs: 3 },
    );
    expect(quadratic.typical).toBeGreaterThanOrEqual(MAX_RATIO);
    const linear = await measureTimeGrowth((size) => 'x'.repeat(size).split('').length, [1024 * KIB, 2048 * KIB, 4096 * KIB, 8192 * KIB], { runs: 3 });
    expect(linear.typical).toBeLessThan(MAX_RATIO);
  });
});
