import type { ApiKeyRecord } from './key-store';
import { createKeyCache, KEY_CACHE_MAX_AGE_MS } from './key-cache';

/** A store whose reads the test answers by hand, counting them. */
function manualStore() {
  const reads: Array<(record: ApiKeyRecord | undefined) => void> = [];
  return {
    reads,
    findBySecret: () => new Promise<ApiKeyRecord | undefined>((resolve) => reads.push(resolve)),
  };
}

const record = (id: string) => ({ id }) as unknown as ApiKeyRecord;

describe('key cache', () => {
  it('serves a key from memory for its max age, then reads it again', async () => {
    let now = 1_000;
    const store = manualStore();
    const cache = createKeyCache(store, () => now);
    const first = cache.find('h');
    store.reads[0]!(record('k1'));
    expect(await first).toEqual(record('k1'));
    expect(await cache.find('h')).toEqual(record('k1'));
    expect(store.reads).toHaveLength(1);
    now += KEY_CACHE_MAX_AGE_MS;
    const again = cache.find('h');
    expect(store.reads).toHaveLength(2);
    store.reads[1]!(undefined);
    expect(await again).toBeUndefined();
  });

  it('shares one read among the requests that miss together', async () => {
    const store = manualStore();
    const cache = createKeyCache(store, () => 0);
    const finds = Array.from({ length: 20 }, () => cache.find('h'));
    expect(store.reads).toHaveLength(1);
    store.reads[0]!(record('k1'));
    expect(await Promise.all(finds)).toEqual(Array(20).fill(record('k1')));
  });

  it('does not cache a read that was under way when the key was forgotten', async () => {
    const store = manualStore();
    const cache = createKeyCache(store, () => 0);
    const stale = cache.find('h');
    cache.forget('h');
    const fresh = cache.find('h');
    expect(store.reads).toHaveLength(2);
    store.reads[0]!(record('before-revoke'));
    store.reads[1]!(undefined);
    expect(await stale).toEqual(record('before-revoke'));
    expect(await fresh).toBeUndefined();
    expect(await cache.find('h')).toBeUndefined();
    expect(store.reads).toHaveLength(2);
  });
});
