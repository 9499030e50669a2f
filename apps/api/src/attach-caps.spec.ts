import { GatewayError } from '@gateway/contracts';
import { attachCallerOf, createAttachCaps } from './attach-caps';

const refusal = (take: () => unknown): GatewayError => {
  try {
    take();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('attach caps', () => {
  it('refuse past the per-caller cap with 429 rate_limited and a Retry-After, other callers unaffected', () => {
    let refused = 0;
    const caps = createAttachCaps({ perCaller: 2, perInstance: 10, onRefused: () => (refused += 1) });
    caps.take('key:a');
    caps.take('key:a');
    const error = refusal(() => caps.take('key:a'));
    expect(error.type).toBe('rate_limited');
    expect(error.status).toBe(429);
    expect(error.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toContain('this caller');
    expect(() => caps.take('key:b')).not.toThrow();
    expect(refused).toBe(1);
    expect(caps.size()).toBe(3);
  });

  it('refuse past the per-instance cap whoever asks, and give a place back once per release', () => {
    const sizes: number[] = [];
    const caps = createAttachCaps({ perCaller: 5, perInstance: 3, onChange: (taken) => sizes.push(taken) });
    const releases = ['a', 'b', 'c'].map((caller) => caps.take(caller));
    expect(refusal(() => caps.take('d')).message).toContain('this instance');
    releases[0]!();
    releases[0]!();
    expect(caps.size()).toBe(2);
    expect(() => caps.take('d')).not.toThrow();
    expect(sizes).toEqual([1, 2, 3, 2, 3]);
  });

  it('count a key by its id and the other callers by their kind', () => {
    expect(attachCallerOf({ kind: 'open' })).toBe('open');
    expect(attachCallerOf({ kind: 'static' })).toBe('static');
    expect(attachCallerOf({ kind: 'key', key: { id: 'key_AAAAAAAAAAAAAAAA' } as never })).toBe('key:key_AAAAAAAAAAAAAAAA');
  });
});
