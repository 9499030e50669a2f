import type { ApiKeyRecord, KeyStore } from './key-store';

/** How long an API instance trusts what it read of a key: a revoke or change made anywhere is seen within this. */
export const KEY_CACHE_MAX_AGE_MS = 500;
const MAX_ENTRIES = 10_000;

/**
 * The keys this API instance has seen, by the hash of their secret, each trusted for KEY_CACHE_MAX_AGE_MS: a
 * request with a known key costs no Redis command, and a revoke on another instance is refused here within that
 * bound (one read per key and half second at most). Unknown secrets are remembered too (a flood of wrong keys
 * costs one read each per half second, not one per request). Changes made by this instance apply at once.
 */
export function createKeyCache(store: Pick<KeyStore, 'findBySecret'>, clock: () => number = Date.now) {
  const entries = new Map<string, { record: ApiKeyRecord | undefined; at: number }>();
  // One read per key at a time: requests that miss together (the entry just aged out under load) share it.
  const pending = new Map<string, Promise<ApiKeyRecord | undefined>>();
  return {
    async find(secretHash: string): Promise<ApiKeyRecord | undefined> {
      const now = clock();
      const cached = entries.get(secretHash);
      if (cached && now - cached.at < KEY_CACHE_MAX_AGE_MS) return cached.record;
      const inFlight = pending.get(secretHash);
      if (inFlight) return inFlight;
      const lookup = store.findBySecret(secretHash).then((record) => {
        // A key forgotten meanwhile (changed here) is not cached from a read that may predate the change.
        if (pending.get(secretHash) === lookup) {
          entries.delete(secretHash);
          if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
          entries.set(secretHash, { record, at: now });
        }
        return record;
      });
      pending.set(secretHash, lookup);
      try {
        return await lookup;
      } finally {
        if (pending.get(secretHash) === lookup) pending.delete(secretHash);
      }
    },
    forget(secretHash: string): void {
      entries.delete(secretHash);
      pending.delete(secretHash);
    },
  };
}

export type KeyCache = ReturnType<typeof createKeyCache>;
