import type { Request, Response } from 'express';
import { GatewayError, idempotencyConflict, type ChatRequest, type EmbeddingsWork } from '@gateway/contracts';
import { otherLaneJobId, removeUnstartedJob } from '@gateway/queue';
import type { Admission } from '../admission';
import { ownerKeyOfId } from '../caller';
import { fusedAdmission, twoStepAdmission } from './admission-paths';
import { prepareJob, type EnqueueRequest, type PrepareDeps } from './prepared-job';
import { enqueueOrUnavailable } from './redis-outage';
import { loggingRefusals, type RefusalLogDeps } from './refusal-log';
import { noCacheFill, type CacheLookup, type ResponseCache } from './response-cache';

/** What became of an enqueue: a new job, or (same Idempotency-Key, same request) the job that already exists. */
export type EnqueueOutcome = 'created' | 'joined';

/**
 * The one way a chat job enters the queue, whatever the route or dialect: checks (403 model, 400 field no provider
 * honours), admission (429 rate limit, 402 budget), the add. A refusal throws its GatewayError; a Redis outage
 * throws `unavailable` (503). Batches admit their requests through the same admission, all at once (batch-creation.ts).
 */
export interface EnqueueService {
  enqueue(request: EnqueueRequest): Promise<EnqueueOutcome>;
  /**
   * The response cache's answer for a request about to be enqueued as `jobId` (RESPONSE_CACHE_TTL_SECONDS; off: no
   * Redis command): a hit (answered in the route's own shape, no job), or the entry its job fills (`responseCache`
   * of the enqueue's extras). Sets `X-Gateway-Cache` when the cache is on.
   */
  cacheLookup(req: Request, res: Response, work: ChatRequest | EmbeddingsWork, jobId: string): Promise<CacheLookup>;
  /**
   * Drops a job no worker has taken yet (its caller went away or gave up) and gives its reservation back, in its
   * key's ledger too; a job already running is left to its worker, which settles it. Never throws.
   */
  dropUnstarted(jobId: string): Promise<void>;
}

export interface EnqueueDeps extends PrepareDeps {
  admission: Admission;
  /** Where refused requests are logged (a job logs its own end). */
  refusals?: RefusalLogDeps;
  /** The response cache (none: off). */
  responseCache?: ResponseCache;
}

/** The enqueue service; whether admission and add share one script is decided here, once (Admission.fusesEnqueue). */
export function createEnqueueService(deps: EnqueueDeps): EnqueueService {
  const { admission, queues } = deps;
  const path = admission.fusesEnqueue ? fusedAdmission(deps) : twoStepAdmission(deps);
  const cache = deps.responseCache?.enabled ? deps.responseCache : undefined;
  const service: EnqueueService = {
    cacheLookup: cache ? (req, res, work, jobId) => cache.lookup(req, res, work, jobId) : () => Promise.resolve(noCacheFill),
    async enqueue(request) {
      const fill = request.extras?.responseCache;
      if (!cache || fill === undefined) return enqueueJob(request);
      try {
        return await enqueueJob(request);
      } catch (error) {
        // Refused before it was queued: identical requests waiting for this one call the upstream themselves.
        await cache.abandon(fill, request.jobId);
        throw error;
      }
    },
    async dropUnstarted(jobId) {
      try {
        if (await removeUnstartedJob(queues, jobId)) await admission.release(jobId, ownerKeyOfId(jobId));
      } catch {
        // Redis trouble: the reservation lapses with its lifetime.
      }
    },
  };
  async function enqueueJob(request: EnqueueRequest): Promise<EnqueueOutcome> {
    const prepare = () => prepareJob(deps, request);
    const requestHash = request.extras?.requestHash;
    if (requestHash === undefined) {
      await path.add(await prepare());
      return 'created';
    }
    try {
      // The key names one piece of work whatever the route: made on a route of the other lane (the other queue, an id
      // with the other mark), it was another request. Racing requests of two lanes may both make theirs.
      const sibling = otherLaneJobId(request.jobId);
      if (sibling !== undefined && (await enqueueOrUnavailable(() => queues.getJobState(sibling))) !== 'unknown') throw idempotencyConflict(request.jobId);
      const outcome = await path.addIdempotent(prepare, { jobId: request.jobId, requestId: request.req.id, requestHash });
      admission.countKeyed(outcome);
      return outcome;
    } catch (error) {
      if (error instanceof GatewayError && error.type === 'conflict') admission.countKeyed('conflict');
      throw error;
    }
  }
  return deps.refusals ? loggingRefusals(service, deps.refusals, deps.config.llm.defaultModel) : service;
}
