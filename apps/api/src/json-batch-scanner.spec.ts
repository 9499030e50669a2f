import fc from 'fast-check';
import { GatewayError } from '@gateway/contracts';
import { createJsonBatchScanner } from './json-batch-scanner';

/** Scans `body` cut into pieces of `size` characters; the items' texts parsed, and the options. */
function scan(body: string, size = body.length) {
  const items: unknown[] = [];
  const options: Record<string, unknown> = {};
  const scanner = createJsonBatchScanner({ onItem: (text) => items.push(JSON.parse(text)), onOption: (key, value) => (options[key] = value) });
  for (let start = 0; start < body.length; start += size) scanner.push(body.slice(start, start + size));
  scanner.end();
  return { items, options };
}

const failure = (body: string): string => {
  try {
    scan(body);
  } catch (error) {
    if (error instanceof GatewayError) return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('createJsonBatchScanner', () => {
  const tricky = [{ messages: [{ role: 'user', content: 'a ] }, { "x": [1,2] \\" ,' }] }, { custom_id: 'b', messages: [] }, 3, [4, [5]], 'six'];

  it.each([1, 2, 3, 7, 1000])('splits a top-level array into its elements, in pieces of %d characters', (size) => {
    expect(scan(` ${JSON.stringify(tricky, null, 1)} \n`, size).items).toEqual(tricky);
  });

  it.each([1, 5, 1000])('reads the requests member of an object and its other members as options (pieces of %d)', (size) => {
    const body = JSON.stringify({ callback_url: 'https://x/y', requests: tricky, completion_window: '24h', metadata: { requests: [1] } });
    expect(scan(body, size)).toEqual({ items: tricky, options: { callback_url: 'https://x/y', completion_window: '24h', metadata: { requests: [1] } } });
  });

  it('takes an empty array (the batch then holds no requests, refused later)', () => {
    expect(scan('[]').items).toEqual([]);
    expect(scan('{"requests": []}').items).toEqual([]);
  });

  it.each([
    ['[1,,2]', 'not valid JSON'],
    ['[1,]', 'not valid JSON'],
    ['[1, 2', 'not valid JSON'],
    ['[1] x', 'not valid JSON'],
    ['{"requests": [1]', 'not valid JSON'],
    ['{"a": 1}', 'JSON array'],
    ['"text"', 'JSON array'],
    ['', 'JSON array'],
    ['{"requests": 5}', 'JSON array'],
    ['[1}', 'not valid JSON'],
  ])('refuses %j', (body, message) => {
    expect(failure(body)).toContain(message);
  });
});

describe('createJsonBatchScanner on any valid batch', () => {
  const space = fc.constantFrom('', ' ', '\n', '\t ', '\r\n  ');
  /** `requests` as JSON may spell it, escapes included. */
  const requestsKey = fc.constantFrom('"requests"', '"\\u0072equests"', '"req\\u0075ests"', '"\\u0072\\u0065\\u0071\\u0075\\u0065\\u0073\\u0074\\u0073"');
  const optionKey = fc.string({ maxLength: 12 }).filter((key) => key !== 'requests' && key !== '__proto__');
  const value = fc.jsonValue({ maxDepth: 3 });
  const body = fc.oneof(
    fc
      .tuple(fc.array(value, { maxLength: 6 }), space)
      .map(([items, gap]) => `${gap}[${items.map((item) => gap + JSON.stringify(item)).join(',')}${gap}]${gap}`),
    fc
      .record({
        items: fc.array(value, { maxLength: 6 }),
        options: fc.dictionary(optionKey, value, { maxKeys: 4 }),
        key: requestsKey,
        at: fc.nat(4),
        gap: space,
      })
      .map(({ items, options, key, at, gap }) => {
        const members = Object.entries(options).map(([name, option]) => `${gap}${JSON.stringify(name)}${gap}:${gap}${JSON.stringify(option)}`);
        members.splice(
          Math.min(at, members.length),
          0,
          `${gap}${key}${gap}:${gap}[${items.map((item) => JSON.stringify(item, null, gap.length)).join(`,${gap}`)}]`,
        );
        return `{${members.join(',')}${gap}}`;
      }),
  );

  it('finds what JSON.parse of the whole body finds, in pieces of any size', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: 1, max: 64 }), (text, size) => {
        const whole = JSON.parse(text) as unknown[] | Record<string, unknown>;
        const { requests, ...options } = Array.isArray(whole) ? { requests: whole } : whole;
        expect(scan(text, size)).toEqual({ items: requests, options });
      }),
      { numRuns: 300 },
    );
  });
});

describe('createJsonBatchScanner bounds', () => {
  const scanWithin = (body: string, maxChars: number, size = body.length) => {
    const items: string[] = [];
    const scanner = createJsonBatchScanner({ onItem: (text) => items.push(text), onOption: () => undefined }, maxChars);
    for (let start = 0; start < body.length; start += size) scanner.push(body.slice(start, start + size));
    scanner.end();
    return items;
  };
  const refusal = (run: () => unknown): GatewayError => {
    try {
      run();
    } catch (error) {
      if (error instanceof GatewayError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('takes requests and members up to the bound', () => {
    expect(scanWithin(`{"a": "${'x'.repeat(90)}", "requests": [${JSON.stringify('y'.repeat(98))}]}`, 100)).toEqual([`"${'y'.repeat(98)}"`]);
  });

  it.each([
    ['a request', `[1, "${'x'.repeat(200)}"]`, 'request'],
    ['a member', `{"a": "${'x'.repeat(200)}", "requests": []}`, 'member'],
    ['an unclosed request', `[[${'[]'.repeat(10_000)}`, 'request'],
    ['an unclosed member', `{"a" ${'[]'.repeat(10_000)}`, 'member'],
  ])('refuses %s longer than the bound with 413, before the body ends', (_label, body, what) => {
    const error = refusal(() => {
      const scanner = createJsonBatchScanner({ onItem: () => undefined, onOption: () => undefined }, 100);
      for (let start = 0; start < body.length; start += 50) scanner.push(body.slice(start, start + 50));
    });
    expect(error.type).toBe('payload_too_large');
    expect(error.message).toContain(`a ${what} of a batch body holds at most 100 characters`);
  });

  it('does not take a member name longer than any spelling of requests for requests', () => {
    expect(refusal(() => scanWithin(`{"${'r'.repeat(60)}": [1]}`, 1000)).message).toContain('JSON array');
    expect(refusal(() => scanWithin('{"requests\\x": [1]}', 1000)).message).toContain('not valid JSON');
    // Only JSON's whitespace around the name: a no-break space makes the body not JSON.
    expect(refusal(() => scanWithin('{\u00a0"requests": [1]}', 1000)).message).toContain('not valid JSON');
  });
});
