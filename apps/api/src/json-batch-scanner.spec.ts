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
