import { Router, type Request, type Response } from 'express';
import { chatRequestSchema, GatewayError, syncCallTimedOut, type ChatRequest, type ChatResponse } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { JobQueues } from '@gateway/queue';
import { idempotentRequestOf, workIdFor, type IdempotentRequest } from '../idempotency';
import type { CacheLookup, EnqueueOutcome, EnqueueService, JobDataExtras } from '../enqueue';
import { waitForAnswer } from '../wait-for-answer';
import type { ResultWaiter } from '../result-waiter';
import { parseBody } from '../validation';

export interface ChatRouteDeps {
  config: Pick<Config, 'llm' | 'http' | 'providers'>;
  queue: JobQueues;
  waiter: ResultWaiter;
  /** This API instance's reply channel id. */
  instanceId: string;
  /** The one way into the queue (checks, rate limit, budget reservation, add). */
  enqueuer: EnqueueService;
}

/**
 * A `/v1/chat` body, parsed, and the response cache's answer for it (a hit, or the entry its job fills; the cache off
 * or not asked: neither, and no Redis command).
 */
export async function parseChat(deps: ChatRouteDeps, req: Request, res: Response, jobId: string): Promise<{ body: ChatRequest; cached: CacheLookup }> {
  const body = parseBody(chatRequestSchema, req.body);
  return { body, cached: await deps.enqueuer.cacheLookup(req, res, body, jobId) };
}

/**
 * Admits a parsed `/v1/chat` body (rate limit, budget) and enqueues its job; throws `unavailable` when Redis
 * refuses it. 'joined' when its Idempotency-Key named a job that exists (409 when made for another request).
 */
export function enqueueChat(
  deps: ChatRouteDeps,
  req: Request,
  work: { body: ChatRequest; cached: CacheLookup; jobId: string },
  replyTo: string | undefined,
  idempotent: IdempotentRequest | undefined,
  extra: Pick<JobDataExtras, 'stream' | 'resumable' | 'streamFormat'> = {},
): Promise<EnqueueOutcome> {
  const { body, cached, jobId } = work;
  const responseCache = 'fill' in cached ? cached.fill : undefined;
  return deps.enqueuer.enqueue({
    req,
    body,
    jobId,
    extras: { ...(replyTo !== undefined ? { replyTo } : {}), ...extra, requestHash: idempotent?.requestHash, ...(responseCache ? { responseCache } : {}) },
  });
}

export function chatRoutes(deps: ChatRouteDeps): Router {
  const router = Router();

  router.post('/v1/chat', async (req, res) => {
    const idempotent = idempotentRequestOf(req, '/v1/chat');
    const jobId = workIdFor(req, idempotent);
    res.locals['jobId'] = jobId;
    res.setHeader('x-job-id', jobId);
    const work = { ...(await parseChat(deps, req, res, jobId)), jobId };
    const answer =
      'hit' in work.cached
        ? work.cached.hit
        : await waitForAnswer(deps, jobId, deps.config.http.chatTimeoutMs, () => enqueueChat(deps, req, work, deps.instanceId, idempotent)).catch(
            (error: unknown) => {
              // A job a worker already started runs on and keeps its result: the caller can fetch it later.
              if (error instanceof GatewayError && error.type === 'timeout') {
                throw syncCallTimedOut(error, jobId);
              }
              throw error;
            },
          );
    res.locals['provider'] = answer.provider;
    res.locals['model'] = answer.model;
    const body: ChatResponse = {
      content: answer.content,
      ...(answer.tool_calls ? { tool_calls: answer.tool_calls } : {}),
      finish_reason: answer.finish_reason,
      model: answer.model,
      provider: answer.provider,
      usage: answer.usage,
      cost_usd: answer.cost_usd,
      job_id: jobId,
    };
    res.json(body);
  });

  return router;
}
