import { apiKeyIdOf, firstKey, hashTag, keyFamily, shares, traceByFamily } from './cluster-shares';

describe('key families', () => {
  it('reads the hash tag as Redis Cluster does: the first non-empty {…}', () => {
    expect(hashTag('gw:budget:{spend}:inflight')).toBe('spend');
    expect(hashTag('{gw}:chat:1')).toBe('gw');
    expect(hashTag('a{}b{c}')).toBeUndefined();
    expect(hashTag('plain')).toBeUndefined();
  });

  it('sorts the limits keys into global, per-job and per-key families', () => {
    expect(keyFamily('gw:budget:{spend}:inflight', 'gw')).toBe('global ledger');
    expect(keyFamily('gw:budget:{spend}:day:2026-12-07', 'gw')).toBe('global ledger');
    expect(keyFamily('gw:requests:{spend}:log', 'gw')).toBe('global ledger');
    expect(keyFamily('gw:budget:{spend}:job:42:calls', 'gw')).toBe('per-job billing');
    expect(keyFamily('gw:budget:{spend}:key:key_abc:month:2026-12', 'gw')).toBe('per-key ledger');
    expect(keyFamily('gw:rate:{spend}:key:key_abc', 'gw')).toBe('per-key rate bucket');
    expect(keyFamily('gw:rate:{spend}:agent:a', 'gw')).toBe('other rate buckets');
    expect(keyFamily('gw:keys:{keys}:secret:ff', 'gw')).toBe('key store');
    expect(keyFamily('{gw}:chat:wait', 'gw')).toBe('queue');
    expect(keyFamily('gw:pace:{pace:openrouter}:bucket', 'gw')).toBe('other tagged');
    expect(keyFamily(undefined, 'gw')).toBe('no key');
    expect(apiKeyIdOf('gw:budget:{spend}:key:key_abc:inflight')).toBe('key_abc');
    expect(apiKeyIdOf('gw:rate:{spend}:key:key_abc')).toBe('key_abc');
    expect(apiKeyIdOf('gw:budget:{spend}:inflight')).toBeUndefined();
  });

  it("takes a script call's first key, and a blocking read's stream", () => {
    expect(firstKey(['evalsha', 'ab', '2', 'k1', 'k2', 'a'])).toBe('k1');
    expect(firstKey(['evalsha', 'ab', '0', 'a'])).toBeUndefined();
    expect(firstKey(['XREAD', 'BLOCK', '10', 'STREAMS', '{gw}:s', '$'])).toBe('{gw}:s');
    expect(firstKey(['time'])).toBeUndefined();
    expect(firstKey(['hget', 'h', 'f'])).toBe('h');
  });

  it("books a script's own commands to it, and drops the bench's commands", () => {
    const trace = [
      { client: '127.0.0.1:1', args: ['evalsha', 'sha', '2', 'gw:budget:{spend}:inflight', 'gw:budget:{spend}:key:k1:inflight'] },
      { client: 'lua', args: ['hincrby', 'gw:budget:{spend}:inflight', 'total', '5'] },
      { client: 'lua', args: ['hincrby', 'gw:budget:{spend}:key:k1:inflight', 'total', '5'] },
      { client: 'lua', args: ['publish', '{gw}:reply:i', 'x'] },
      { client: '127.0.0.1:2', args: ['info', 'commandstats'] },
      { client: '127.0.0.1:1', args: ['get', 'gw:keys:{keys}:secret:s'] },
    ];
    const result = traceByFamily(
      trace,
      'gw',
      () => 'settle',
      (command) => command.args[0] === 'info',
    );
    expect(result.total).toBe(5);
    expect(Object.fromEntries(result.byFamily)).toEqual({ 'global ledger': 2, 'per-key ledger': 1, 'reply publish': 1, 'key store': 1 });
    expect(Object.fromEntries(result.byScript.get('settle') ?? [])).toEqual({ 'global ledger': 2, 'per-key ledger': 1, 'reply publish': 1 });
    expect(result.scriptCalls.get('settle')).toBe(1);
    expect(Object.fromEntries(result.byCommand.get('global ledger') ?? [])).toEqual({ EVALSHA: 1, HINCRBY: 1 });
    expect(Object.fromEntries(result.byApiKey)).toEqual({ k1: 1 });
  });

  it('gives shares in percent', () => {
    expect(shares([1, 3, 0])).toEqual([25, 75, 0]);
    expect(shares([0, 0])).toEqual([0, 0]);
  });
});
