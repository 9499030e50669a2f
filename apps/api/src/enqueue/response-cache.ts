import type { Request, Response } from 'express';
import { chatJobResultSchema, invalidRequest, type ChatJobResult, type ChatJobData, type ChatRequest, type EmbeddingsWork } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Metrics } from '@gateway/observability';
import { defineLuaScript, runLuaScript, type ChatQueue, type RedisClient } from '@gateway/queue';
import type { Admission } from '../admission';
import { agentIdFor, assertModelAllowed, callerOf, limitSubjectOf, ownerKeyOf } from '../caller';
import { enqueueOrUnavailable } from './redis-outage';
import { withModelAlias } from './model-alias';
import { isEmbeddingsWork } from '../request-plan';
import { waitForInflightJob } from './inflight-wait';
import { responseCacheHash } from './response-cache-key';

/** What a request asks of the cache: `X-Gateway-Cache: on|refresh|off`, else the body's `"cache": true`, else its kind's default. */
type CacheMode = 'on' | 'refresh' | 'off';

/** A lookup's outcome: the answer (a hit, or an identical request's that was in flight), or what the job must fill. */
export type CacheLookup = { hit: ChatJobResult } | { fill: ChatJobData['response_cache'] };

/** Nothing to do with the cache: the job fills no entry. */
export const noCacheFill: CacheLookup = { fill: undefined };

/**
 * One round trip: the entry if there is one (1, answer); else this job marks the request in flight (0), unless an
 * identical one already is (2, its job id).
 */
const lookupScript = defineLuaScript(
  'response-cache-lookup',
  `local answer = redis.call('GET', KEYS[1])
if answer then return {1, answer} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
return {2, redis.call('GET', KEYS[2]) or ''}`,
  2,
);

export interface ResponseCacheDeps {
  config: Pick<Config, 'responseCache' | 'llm' | 'http'>;
  redis: RedisClient;
  queue: ChatQueue;
  /** The plain key prefix (entries are hash-tagged one by one, so a cluster spreads them). */
  prefix: string;
  admission: Pick<Admission, 'checkRate'>;
  metrics: Pick<Metrics, 'responseCache' | 'responseCacheSavedTokens'>;
  /** Counts a hit in its key's usage (cached requests, tokens and cost saved); none: not counted. */
  recordHit?: (keyId: string | undefined, result: ChatJobResult) => Promise<void>;
}

function modeOf(req: Request, work: ChatRequest | EmbeddingsWork): CacheMode | undefined {
  const header = req.get('X-Gateway-Cache');
  if (header !== undefined) {
    const mode = header.trim().toLowerCase();
    if (mode === 'on' || mode === 'refresh' || mode === 'off') return mode;
    throw invalidRequest('header X-Gateway-Cache: expected on, refresh or off');
  }
  const body: unknown = req.body;
  if (body !== null && typeof body === 'object' && (body as { cache?: unknown }).cache === true) return 'on';
  return isEmbeddingsWork(work) ? 'on' : undefined;
}

/**
 * The response cache (RESPONSE_CACHE_TTL_SECONDS; 0: off, and then `lookup` touches neither Redis nor the response).
 * A request that opts in is looked up by its canonical hash within its key's scope (the caller's kind without keys):
 * a hit is answered from the entry (still taking its rate token; no reservation, no cost); a request identical to
 * one in flight waits for that job's answer, and makes its own call if that job failed; a miss marks itself in
 * flight and its job fills the entry when it completes (the worker, beside its settlement).
 */
export function createResponseCache(deps: ResponseCacheDeps) {
  const ttl = deps.config.responseCache.ttlSeconds;
  const { metrics } = deps;
  const answered = (res: Response, result: ChatJobResult, outcome: 'hit' | 'coalesced', keyId: string | undefined): CacheLookup => {
    res.setHeader('X-Gateway-Cache', 'hit');
    res.locals['cache'] = 'hit';
    metrics.responseCache.inc({ outcome });
    metrics.responseCacheSavedTokens.inc(result.usage.total_tokens);
    // Booked beside the answer, not before it: a lost count never delays or fails a hit.
    void deps.recordHit?.(keyId, result).catch(() => undefined);
    return { hit: { ...result, cost_usd: 0 } };
  };

  return {
    enabled: ttl > 0,
    /** Drops every entry (DELETE /admin/cache), or one key's (`keyId`); answers how many. In-flight marks lapse by themselves. */
    async clear(keyId?: string): Promise<number> {
      const pattern = `${deps.prefix}:cache:{${keyId !== undefined ? `key:${keyId}:` : ''}*`;
      const nodes = 'nodes' in deps.redis ? deps.redis.nodes('master') : [deps.redis];
      let dropped = 0;
      for (const node of nodes) {
        for await (const names of node.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) {
          const entries = names.filter((name) => !name.endsWith(':inflight'));
          for (const name of entries) dropped += await node.unlink(name);
        }
      }
      return dropped;
    },
    async lookup(req: Request, res: Response, work: ChatRequest | EmbeddingsWork, jobId: string): Promise<CacheLookup> {
      if (ttl === 0) return noCacheFill;
      const mode = modeOf(req, work);
      if (mode === undefined || mode === 'off') {
        res.setHeader('X-Gateway-Cache', 'bypass');
        return noCacheFill;
      }
      const caller = callerOf(req);
      const model = withModelAlias(deps.config.llm.modelAliases, work).model ?? deps.config.llm.defaultModel;
      assertModelAllowed(caller, model);
      const keyId = ownerKeyOf(caller);
      const scope = keyId !== undefined ? `key:${keyId}` : caller.kind;
      const entry = `${deps.prefix}:cache:{${scope}:${responseCacheHash(work, model)}}`;
      const fill = { key: entry, inflight: `${entry}:inflight`, ttl };
      res.setHeader('X-Gateway-Cache', 'miss');
      if (mode === 'refresh') {
        metrics.responseCache.inc({ outcome: 'refresh' });
        return { fill };
      }
      const [state, value] = (await enqueueOrUnavailable(() =>
        runLuaScript(deps.redis, lookupScript, [fill.key, fill.inflight], [jobId, deps.config.http.chatTimeoutMs]),
      )) as [number, string | undefined];
      const subject = () => limitSubjectOf(caller, agentIdFor(caller, work.agent_id));
      if (state === 1 && value !== undefined) {
        const cached = chatJobResultSchema.safeParse(JSON.parse(value));
        if (cached.success) {
          await deps.admission.checkRate(subject());
          return answered(res, cached.data, 'hit', keyId);
        }
      }
      if (state === 2 && value) {
        await deps.admission.checkRate(subject());
        const answer = await enqueueOrUnavailable(() => waitForInflightJob(deps.queue, value, deps.config.http.chatTimeoutMs));
        if (answer) return answered(res, answer, 'coalesced', keyId);
        // The first failed (or never came): this one makes its own call, and marks it in flight for the next ones.
        await enqueueOrUnavailable(() => deps.redis.set(fill.inflight, jobId, 'PX', deps.config.http.chatTimeoutMs));
      }
      metrics.responseCache.inc({ outcome: 'miss' });
      return { fill };
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;
