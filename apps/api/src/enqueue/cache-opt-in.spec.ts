import type { ChatRequest, EmbeddingsWork } from '@gateway/contracts';
import type { Caller } from '../caller';
import { batchCacheFills, bodyCacheMode, cacheHeaderMode, requestCacheMode, type BatchCacheChoice } from './cache-opt-in';
import { responseCacheHash } from './response-cache-key';

const chat = (text: string, model?: string): ChatRequest => ({ ...(model ? { model } : {}), messages: [{ role: 'user', content: text }] });
const embeddings = { kind: 'embeddings', model: 'e', embeddings: { input: ['x'] } } as unknown as EmbeddingsWork;
const open: Caller = { kind: 'open' };
const choice = (over: Partial<BatchCacheChoice> = {}): BatchCacheChoice => ({
  ttlSeconds: 60,
  defaultModel: 'd',
  header: undefined,
  batch: undefined,
  ...over,
});

describe('the response cache opt-in', () => {
  it('reads the header (a bad value is a 400) and a body’s "cache"', () => {
    expect(cacheHeaderMode(' On ')).toBe('on');
    expect(cacheHeaderMode('refresh')).toBe('refresh');
    expect(cacheHeaderMode(undefined)).toBeUndefined();
    expect(() => cacheHeaderMode('sometimes')).toThrow(expect.objectContaining({ type: 'invalid_request' }));
    expect([bodyCacheMode(true), bodyCacheMode(false), bodyCacheMode('true'), bodyCacheMode(undefined)]).toEqual(['on', 'off', undefined, undefined]);
  });

  it('gives a request its header’s mode, else its body’s, else its kind’s (embeddings opt in, "cache": false opts out)', () => {
    expect(requestCacheMode('off', 'on', chat('q'))).toBe('off');
    expect(requestCacheMode(undefined, 'on', chat('q'))).toBe('on');
    expect(requestCacheMode(undefined, undefined, chat('q'))).toBeUndefined();
    expect(requestCacheMode(undefined, undefined, embeddings)).toBe('on');
    expect(requestCacheMode(undefined, 'off', embeddings)).toBe('off');
  });

  it('gives each request of a batch the header’s mode, else its own, else the batch’s, else its kind’s', () => {
    const items = [{ request: chat('a') }, { request: chat('b'), cache: true }, { request: chat('c'), cache: false }, { request: embeddings }];
    const scopes = (fills: ReturnType<typeof batchCacheFills>) => fills?.map((fill) => (fill ? (fill.lookup ? 'on' : 'refresh') : 'none'));
    expect(scopes(batchCacheFills(choice(), open, items))).toEqual(['none', 'on', 'none', 'on']);
    expect(scopes(batchCacheFills(choice({ batch: 'on' }), open, items))).toEqual(['on', 'on', 'none', 'on']);
    expect(scopes(batchCacheFills(choice({ batch: 'off' }), open, items))).toEqual(['none', 'on', 'none', 'none']);
    expect(scopes(batchCacheFills(choice({ header: 'refresh' }), open, items))).toEqual(['refresh', 'refresh', 'refresh', 'refresh']);
    // Off (the header, or no TTL): nothing at all, not even a hash.
    expect(batchCacheFills(choice({ header: 'off' }), open, items)).toBeUndefined();
    expect(batchCacheFills(choice({ ttlSeconds: 0, batch: 'on' }), open, items)).toBeUndefined();
    expect(batchCacheFills(choice(), open, [{ request: chat('a') }])).toBeUndefined();
  });

  it('scopes an entry to the caller’s key (else its kind) and hashes the request as the served model runs it', () => {
    const key: Caller = { kind: 'key', key: { id: 'key_AAAAAAAAAAAAAAAA' } } as unknown as Caller;
    const [byKey] = batchCacheFills(choice({ batch: 'on' }), key, [{ request: chat('a') }]) ?? [];
    const [byOpen] = batchCacheFills(choice({ batch: 'on' }), open, [{ request: chat('a', 'm') }]) ?? [];
    expect(byKey).toEqual({ scope: 'key:key_AAAAAAAAAAAAAAAA', hash: responseCacheHash(chat('a'), 'd'), ttl: 60, lookup: true });
    expect(byOpen).toEqual({ scope: 'open', hash: responseCacheHash(chat('a'), 'm'), ttl: 60, lookup: true });
  });
});
