import { invalidRequest, type ChatJobData, type ChatRequest, type EmbeddingsWork } from '@gateway/contracts';
import { ownerKeyOf, type Caller } from '../caller';
import { isEmbeddingsWork } from '../request-plan';
import { responseCacheHash } from './response-cache-key';

/** What a request asks of the response cache: look up and fill (`on`), fill only (`refresh`), or nothing (`off`). */
export type CacheMode = 'on' | 'refresh' | 'off';

/** The entry a job fills (and, with `lookup`, looks up as it starts). */
export type CacheFill = NonNullable<ChatJobData['response_cache']>;

/** The `X-Gateway-Cache` header's mode (undefined: no header); another value is a 400. */
export function cacheHeaderMode(header: string | undefined): CacheMode | undefined {
  if (header === undefined) return undefined;
  const mode = header.trim().toLowerCase();
  if (mode === 'on' || mode === 'refresh' || mode === 'off') return mode;
  throw invalidRequest('header X-Gateway-Cache: expected on, refresh or off');
}

/** A body's (or a batch line's) `"cache"`: true opts in, false opts out, anything else says nothing. */
export function bodyCacheMode(value: unknown): CacheMode | undefined {
  return value === true ? 'on' : value === false ? 'off' : undefined;
}

/** The mode of one request: its header, else its body's `"cache"`, else its kind's default (embeddings opt in). */
export function requestCacheMode(header: CacheMode | undefined, body: CacheMode | undefined, work: ChatRequest | EmbeddingsWork): CacheMode | undefined {
  return header ?? body ?? (isEmbeddingsWork(work) ? 'on' : undefined);
}

/** Whose part of the cache a caller's requests use: its API key's, else its kind's (the static token, open access). */
export function cacheScopeOf(caller: Caller): string {
  const keyId = ownerKeyOf(caller);
  return keyId !== undefined ? `key:${keyId}` : caller.kind;
}

/** The entry a request of `caller` fills, served by `model` (its alias resolved), kept `ttlSeconds`. */
export function cacheFillOf(caller: Caller, work: ChatRequest | EmbeddingsWork, model: string, ttlSeconds: number, lookup: boolean): CacheFill {
  return { scope: cacheScopeOf(caller), hash: responseCacheHash(work, model), ttl: ttlSeconds, ...(lookup ? { lookup: true } : {}) };
}

/** What decides the cache for a batch's requests (its aliases resolved). */
export interface BatchCacheChoice {
  ttlSeconds: number;
  defaultModel: string;
  /** The create call's `X-Gateway-Cache`: the whole batch, over its lines. */
  header: CacheMode | undefined;
  /** The batch's `"cache"` option (a body member, the query's `cache`): the lines that say nothing. */
  batch: CacheMode | undefined;
}

/**
 * The entry each request of a batch fills and looks up as it starts (undefined: the cache is off for it). A request's
 * mode is the create call's header, else its own `"cache"`, else the batch's option, else its kind's default
 * (embeddings opt in). The cache off (no TTL): nothing, not even a hash.
 */
export function batchCacheFills(
  choice: BatchCacheChoice,
  caller: Caller,
  items: readonly { request: ChatRequest | EmbeddingsWork; cache?: boolean | undefined }[],
): (CacheFill | undefined)[] | undefined {
  if (choice.ttlSeconds === 0 || choice.header === 'off') return undefined;
  const fills = items.map((item) => {
    const mode = choice.header ?? bodyCacheMode(item.cache) ?? choice.batch ?? (isEmbeddingsWork(item.request) ? 'on' : undefined);
    if (mode === undefined || mode === 'off') return undefined;
    return cacheFillOf(caller, item.request, item.request.model ?? choice.defaultModel, choice.ttlSeconds, mode === 'on');
  });
  return fills.some((fill) => fill !== undefined) ? fills : undefined;
}
