import { chatJobResultSchema, type ChatJobResult } from '@gateway/contracts';
import { runLuaScript, type LimitsPrefix, type RedisClient } from '@gateway/queue';
import { limitKeys } from './keys';
import { LimitScriptCode, runIntegerScript, scripts } from './scripts';

/** One request's place in the response cache: its scope (`key:<keyId>`, or a caller kind without keys) and its hash. */
export interface CacheEntryRef {
  scope: string;
  hash: string;
}

/**
 * What a lookup found: the answer, this job to call (it holds the in-flight mark; an entry that no longer reads as an
 * answer is called for too, and replaced), or the job that holds the mark.
 */
export type CacheLookupReply = { state: 'hit'; result: ChatJobResult } | { state: 'lead' } | { state: 'in-flight'; holder: string };

/** An entry's answer, or undefined when its text is not one (written by another version, or damaged). */
function parseAnswer(text: string): ChatJobResult | undefined {
  try {
    const parsed = chatJobResultSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What a scope holds. */
export interface CacheUsage {
  entries: number;
  bytes: number;
}

export interface ResponseCacheStoreOptions {
  redis: RedisClient;
  prefix: LimitsPrefix;
  /** The bytes of answers one scope keeps at most (RESPONSE_CACHE_KEY_QUOTA_BYTES). */
  quotaBytes: number;
}

/** Entries one clearing or reading script drops at most (a long one would hold Redis up). */
const SLICE = 500;

/** The scope named by a book's index key (`<p>:cache:{<scope>}:index`), or undefined for another name. */
function scopeOfIndex(prefix: LimitsPrefix, name: string): string | undefined {
  const head = `${prefix}:cache:{`;
  const tail = '}:index';
  return name.startsWith(head) && name.endsWith(tail) ? name.slice(head.length, -tail.length) : undefined;
}

/**
 * The response cache's Redis side, shared by the API (lookups of interactive requests, the operators' DELETE) and the
 * workers (lookups of batch and asynchronous requests as they start, and every write). A scope's entries, marks and
 * book share its hash tag: each write books the entry's bytes in the same script, evicting the scope's oldest entries
 * (first written, first out) past its quota, so the count is exact across instances; expired entries leave the book
 * lazily, at the scope's next write or read (Redis announces no expiry).
 */
export function createResponseCacheStore(options: ResponseCacheStoreOptions) {
  const { redis, prefix, quotaBytes } = options;
  const book = (scope: string) => [limitKeys.responseCacheIndex(prefix, scope), limitKeys.responseCacheSizes(prefix, scope)];
  const entryPrefix = (scope: string) => limitKeys.responseCacheEntry(prefix, scope, '');
  const markOf = (ref: CacheEntryRef) => limitKeys.responseCacheInflight(prefix, ref.scope, ref.hash);

  /** Every scope with a book, on every master (SCAN). */
  async function scopes(): Promise<string[]> {
    const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
    const found = new Set<string>();
    for (const node of nodes) {
      for await (const names of node.scanStream({ match: `${prefix}:cache:{*}:index`, count: 500 }) as AsyncIterable<string[]>) {
        for (const name of names) {
          const scope = scopeOfIndex(prefix, name);
          if (scope !== undefined) found.add(scope);
        }
      }
    }
    return [...found];
  }

  async function clearScope(scope: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const [, dropped = 0, remaining = 0] = await runIntegerScript(redis, scripts.responseCacheClear, book(scope), [entryPrefix(scope), SLICE]);
      deleted += dropped;
      if (remaining === 0) return deleted;
    }
  }

  async function scopeUsage(scope: string): Promise<CacheUsage> {
    for (;;) {
      const [, entries = 0, bytes = 0, dropped = 0] = await runIntegerScript(redis, scripts.responseCacheUsage, book(scope), [entryPrefix(scope), SLICE]);
      // A whole slice expired: more may have.
      if (dropped < SLICE) return { entries, bytes };
    }
  }

  return {
    quotaBytes,
    /**
     * The entry of `ref`, else marks `jobId` as answering it for `markMs` (unless another job holds the mark; `gone`:
     * a holder known to have failed or vanished, whose mark is taken over).
     */
    async lookup(ref: CacheEntryRef, jobId: string, markMs: number, gone = ''): Promise<CacheLookupReply> {
      const reply = await runLuaScript(
        redis,
        scripts.responseCacheLookup,
        [limitKeys.responseCacheEntry(prefix, ref.scope, ref.hash), markOf(ref)],
        [jobId, Math.max(1, Math.round(markMs)), gone],
      );
      const [code, value] = Array.isArray(reply) ? (reply as unknown[]) : [];
      const result = Number(code) === LimitScriptCode.CacheHit && typeof value === 'string' ? parseAnswer(value) : undefined;
      if (result) return { state: 'hit', result };
      if (Number(code) === LimitScriptCode.CacheInFlight && typeof value === 'string') return { state: 'in-flight', holder: value };
      return { state: 'lead' };
    },

    /**
     * Keeps `answer` (its JSON) for `ttlSeconds` and clears the request's in-flight mark; the scope's oldest entries
     * make room past its quota. Not kept: an answer larger than the quota.
     */
    async store(ref: CacheEntryRef, answer: string, ttlSeconds: number): Promise<{ kept: boolean; evicted: number; bytes: number }> {
      const [code, evicted = 0, bytes = 0] = await runIntegerScript(
        redis,
        scripts.responseCacheStore,
        [limitKeys.responseCacheEntry(prefix, ref.scope, ref.hash), markOf(ref), ...book(ref.scope)],
        [ref.hash, answer, Math.max(1, Math.round(ttlSeconds * 1000)), quotaBytes, entryPrefix(ref.scope)],
      );
      return code === LimitScriptCode.Done ? { kept: true, evicted, bytes } : { kept: false, evicted: 0, bytes };
    },

    /** Clears the in-flight mark `jobId` holds on `ref` (it ended without an answer); another job's mark stays. */
    async releaseMark(ref: CacheEntryRef, jobId: string): Promise<void> {
      await runIntegerScript(redis, scripts.responseCacheRelease, [markOf(ref)], [jobId]);
    },

    /** Empties one scope (`key:<keyId>`, …), or every scope; answers how many entries were dropped. Marks lapse by themselves. */
    async clear(scope?: string): Promise<number> {
      let deleted = 0;
      for (const each of scope !== undefined ? [scope] : await scopes()) deleted += await clearScope(each);
      return deleted;
    },

    /** What one scope holds now, or every scope together (expired entries dropped from the books first). */
    async usage(scope?: string): Promise<CacheUsage> {
      const total: CacheUsage = { entries: 0, bytes: 0 };
      for (const each of scope !== undefined ? [scope] : await scopes()) {
        const part = await scopeUsage(each);
        total.entries += part.entries;
        total.bytes += part.bytes;
      }
      return total;
    },
  };
}

export type ResponseCacheStore = ReturnType<typeof createResponseCacheStore>;
