import type { Request, Response } from 'express';
import type { ChatRequest } from '@gateway/contracts';
import type { CacheLookup, JobDataExtras } from './enqueue';
import { lastEventIdOf, type IdempotentRequest } from './idempotency';
import type { ResultWaiter, WaitedResult } from './result-waiter';
import type { StreamFormat } from './stream-formats';
import { replayStream } from './stream-replay';
import { serveStream, type StreamSessionDeps } from './stream-session';
import { waitForAnswer } from './wait-for-answer';

/** What a dialect route's job needs: the stream session's parts, the waiter, and this instance's id (replies come to it). */
export interface DialectJobDeps extends StreamSessionDeps {
  waiter: ResultWaiter;
  instanceId: string;
}

/** One request of a dialect (Chat Completions, Messages), as the queue sees it: its chat body, job id, key and cache lookup. */
export interface DialectJob {
  body: ChatRequest;
  jobId: string;
  idempotent: IdempotentRequest | undefined;
  cached: CacheLookup;
}

const fillOf = (cached: CacheLookup) => ('fill' in cached ? cached.fill : undefined);

/**
 * The whole answer of a dialect's request: the cached one, or its job's, enqueued once (a duplicate under the same
 * Idempotency-Key joins it). The route words it; the request log learns its job, provider and model.
 */
export async function answerDialectJob(deps: DialectJobDeps, req: Request, res: Response, job: DialectJob): Promise<WaitedResult> {
  const { body, jobId, idempotent, cached } = job;
  res.locals['jobId'] = jobId;
  const answer =
    'hit' in cached
      ? cached.hit
      : await waitForAnswer(deps, jobId, deps.config.http.chatTimeoutMs, () =>
          deps.enqueuer.enqueue({
            req,
            body,
            jobId,
            extras: { replyTo: deps.instanceId, requestHash: idempotent?.requestHash, responseCache: fillOf(cached) },
          }),
        );
  res.locals['provider'] = answer.provider;
  res.locals['model'] = answer.model;
  return answer;
}

/**
 * A dialect's request streamed in its `format`: the cached answer replayed, or its job's tokens relayed as they come.
 * A resumable stream (`kept`: what its job keeps for a retry to attach to) is re-attached to by a retry with its key.
 */
export async function streamDialectJob(
  deps: DialectJobDeps,
  req: Request,
  res: Response,
  job: DialectJob & { format: StreamFormat; kept?: Pick<JobDataExtras, 'resumable' | 'streamFormat'> },
): Promise<void> {
  const { body, jobId, idempotent, cached, format, kept = {} } = job;
  if ('hit' in cached) return replayStream(deps, req, res, { jobId, format, result: cached.hit });
  await serveStream(deps, req, res, {
    jobId,
    format,
    resumable: kept.resumable === true,
    resumeAfter: lastEventIdOf(req),
    enqueue: () =>
      deps.enqueuer.enqueue({
        req,
        body,
        jobId,
        extras: { replyTo: deps.instanceId, stream: true, ...kept, requestHash: idempotent?.requestHash, responseCache: fillOf(cached) },
      }),
  });
}
