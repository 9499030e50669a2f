import type { Request, Response } from 'express';
import type { ChatJobResult, ChatRequest, EmbeddingsWork } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { ResponseCacheStore } from '@gateway/limits';
import type { Metrics } from '@gateway/observability';
import type { JobQueues } from '@gateway/queue';
import type { Admission } from '../admission';
import { agentIdFor, assertModelAllowed, callerOf, limitSubjectOf, ownerKeyOf } from '../caller';
import { enqueueOrUnavailable } from './redis-outage';
import { withModelAlias } from './model-alias';
import { waitForInflightJob } from './inflight-wait';
import { bodyCacheMode, cacheFillOf, cacheHeaderMode, requestCacheMode, type CacheFill } from './cache-opt-in';
import { apiLogEntry, appendApiLogEntry, requestAgeMs, type ApiLogDeps } from './api-log-entry';

/** A lookup's outcome: the answer (a hit, or an identical request's that was in flight), or what the job must fill. */
export type CacheLookup = { hit: ChatJobResult } | { fill: CacheFill | undefined };

/** Nothing to do with the cache: the job fills no entry. */
export const noCacheFill: CacheLookup = { fill: undefined };

export interface ResponseCacheDeps {
  config: Pick<Config, 'responseCache' | 'llm' | 'http'>;
  /** The cache's Redis side (entries, in-flight marks, each scope's book and quota). */
  store: ResponseCacheStore;
  queue: JobQueues;
  admission: Pick<Admission, 'checkRate'>;
  metrics: Pick<Metrics, 'responseCache' | 'responseCacheSavedTokens'>;
  /** Counts a hit in its key's usage (cached requests, tokens and cost saved); none: not counted. */
  recordHit?: (keyId: string | undefined, result: ChatJobResult) => Promise<void>;
  /** Where a hit's request log entry goes (a hit has no job to write one); none: not logged. */
  requestLog?: ApiLogDeps;
}

/** The mode a request asks for: `X-Gateway-Cache: on|refresh|off`, else the body's `"cache"`, else its kind's default. */
function modeOf(req: Request, work: ChatRequest | EmbeddingsWork) {
  const body: unknown = req.body;
  const cache = body !== null && typeof body === 'object' ? (body as { cache?: unknown }).cache : undefined;
  return requestCacheMode(cacheHeaderMode(req.get('X-Gateway-Cache')), bodyCacheMode(cache), work);
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
  /** A request answered from the cache (`asked`: its work, the model as its job would have had it). */
  const answered = (
    asked: { req: Request; res: Response; work: { model: string; agent_id?: string | undefined }; keyId: string | undefined },
    result: ChatJobResult,
    outcome: 'hit' | 'coalesced',
  ): CacheLookup => {
    const { req, res } = asked;
    res.setHeader('X-Gateway-Cache', 'hit');
    res.locals['cache'] = 'hit';
    metrics.responseCache.inc({ outcome });
    metrics.responseCacheSavedTokens.inc(result.usage.total_tokens);
    // Booked beside the answer, not before it: a lost count or log entry never delays or fails a hit.
    void deps.recordHit?.(asked.keyId, result).catch(() => undefined);
    if (deps.requestLog) {
      const entry = { status: 200, error_type: null, cache: 'hit' as const, latency_ms: requestAgeMs(res), result };
      appendApiLogEntry(deps.requestLog, apiLogEntry(req, asked.work, deps.config.llm.defaultModel, entry));
    }
    return { hit: { ...result, cost_usd: 0 } };
  };

  return {
    enabled: ttl > 0,
    keyQuotaBytes: deps.store.quotaBytes,
    /** Drops every entry (DELETE /admin/cache), or one key's (`keyId`); answers how many. In-flight marks lapse by themselves. */
    clear: (keyId?: string): Promise<number> => deps.store.clear(keyId !== undefined ? `key:${keyId}` : undefined),
    /** What the cache holds (GET /admin/cache): every scope together, or one key's. */
    usage: (keyId?: string) => deps.store.usage(keyId !== undefined ? `key:${keyId}` : undefined),
    /** Clears the in-flight mark of a request whose job was refused before it was queued (rate, budget, Redis). */
    async abandon(fill: CacheFill, jobId: string): Promise<void> {
      await deps.store.releaseMark(fill, jobId).catch(() => undefined);
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
      const fill = cacheFillOf(caller, work, model, ttl, false);
      res.setHeader('X-Gateway-Cache', 'miss');
      if (mode === 'refresh') {
        metrics.responseCache.inc({ outcome: 'refresh' });
        return { fill };
      }
      const markMs = deps.config.http.chatTimeoutMs;
      const found = await enqueueOrUnavailable(() => deps.store.lookup(fill, jobId, markMs));
      const subject = () => limitSubjectOf(caller, agentIdFor(caller, work.agent_id));
      const asked = { req, res, work: { model, agent_id: work.agent_id }, keyId };
      if (found.state === 'hit') {
        await deps.admission.checkRate(subject());
        return answered(asked, found.result, 'hit');
      }
      if (found.state === 'in-flight') {
        await deps.admission.checkRate(subject());
        const answer = await enqueueOrUnavailable(() => waitForInflightJob(deps.queue, found.holder, markMs));
        if (answer) return answered(asked, answer, 'coalesced');
        // The first failed (or never came): this one makes its own call, marked in flight for the next ones (unless
        // the answer came meanwhile).
        const again = await enqueueOrUnavailable(() => deps.store.lookup(fill, jobId, markMs, found.holder));
        if (again.state === 'hit') return answered(asked, again.result, 'coalesced');
      }
      metrics.responseCache.inc({ outcome: 'miss' });
      return { fill };
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;
