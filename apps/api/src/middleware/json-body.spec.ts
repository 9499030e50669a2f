import { nestsDeeperThan } from './json-body';

describe('nestsDeeperThan', () => {
  it('counts objects and arrays, the body itself as level 1, scalars as none', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({ a: [1, { b: null }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: null }] }, 2)).toBe(true);
    expect(nestsDeeperThan([[], [[]]], 2)).toBe(true);
  });

  it('finds the one deep branch among shallow ones', () => {
    const body = { messages: [{ role: 'user', content: 'hi' }], tools: [{ function: { parameters: { a: { b: { c: {} } } } } }] };
    expect(nestsDeeperThan(body, 8)).toBe(false);
    expect(nestsDeeperThan(body, 7)).toBe(true);
  });

  it('walks a member named __proto__ like any other (JSON.parse makes it an own member)', () => {
    const body = JSON.parse('{"__proto__":{"a":{"b":{}}}}') as unknown;
    expect(nestsDeeperThan(body, 4)).toBe(false);
    expect(nestsDeeperThan(body, 3)).toBe(true);
  });

  it('measures a body far deeper than the stack allows recursion for', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`) as unknown;
    expect(nestsDeeperThan(deep, 128)).toBe(true);
    expect(nestsDeeperThan(deep, 200_000)).toBe(false);
  });
});
