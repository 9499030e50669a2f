import type { ChatRequest, EmbeddingsWork, GatewayJobData, Lane } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { LimitSubject } from '@gateway/limits';
import { laneQueueNames, queueNameOfJob, type LaneQueues, type RedisClient } from '@gateway/queue';
import type { Request } from 'express';
import { assertModelAllowed, callerOf, shareWeightOf, limitSubjectOf } from '../caller';
import { lanePrioritiesFor } from '../job-priority';
import { servablePlan } from '../request-plan';
import { toJobData, type JobDataExtras } from './job-payload';
import { jobOrigin, type JobOriginRequest } from './job-origin';
import { enqueueOrUnavailable } from './redis-outage';
import { withModelAlias } from './model-alias';

/** What one job's enqueue is asked for: the request it serves, its validated body (chat, or embeddings), its id, and where its outcome goes. */
export interface EnqueueRequest {
  req: Pick<Request, 'id' | 'caller'> & JobOriginRequest;
  body: ChatRequest | EmbeddingsWork;
  jobId: string;
  extras?: JobDataExtras;
}

/** A chat job ready for admission: checked against the key's models and the providers, its payload built but for its reservation. */
export interface PreparedJob {
  jobId: string;
  body: ChatRequest | EmbeddingsWork;
  /** The key that owns it (its reservation is in that key's ledger too). */
  keyId: string | undefined;
  lane: Lane;
  opts: { jobId: string; priority?: number };
  limitSubject: LimitSubject;
  data: (reservedUsd: number) => GatewayJobData;
}

/** What preparing a job needs: the providers' plan, the queue, and a connection for the fair-share rounds of the lower lanes. */
export interface PrepareDeps {
  config: Pick<Config, 'llm' | 'providers'> & Partial<Pick<Config, 'file'>>;
  /** The lanes' queues: a job is added to the one its id names. */
  queues: LaneQueues;
  /** Interactive work needs none (BullMQ's wait list); a job or batch lane's rounds do. */
  redis?: RedisClient;
}

/**
 * Prepares a job for admission: a model outside the key's allow-list is a 403 and a request no provider can honour a
 * 400, before anything is reserved; a job of a lower lane takes its tenant's next round in its band (one script).
 */
export async function prepareJob(deps: PrepareDeps, request: EnqueueRequest): Promise<PreparedJob> {
  const { req, jobId, extras = {} } = request;
  const body = withModelAlias(deps.config.llm.modelAliases, request.body);
  const caller = callerOf(req);
  assertModelAllowed(caller, body.model ?? deps.config.llm.defaultModel);
  servablePlan(deps.config, body);
  const base = { ...toJobData(req.id, body, deps.config.llm.defaultModel, extras, caller), ...jobOrigin(req) };
  const lane = base.lane ?? 'interactive';
  // The id names the queue every reader looks in (job-ids.ts): a job of a lane must have its lane's mark.
  if (queueNameOfJob(jobId) !== laneQueueNames[lane]) throw new Error(`job ${jobId} of the ${lane} lane has no ${lane} mark in its id`);
  let priority: number | undefined;
  if (lane !== 'interactive') {
    const { redis } = deps;
    if (!redis) throw new Error(`enqueueing a ${lane} job needs a redis connection`);
    [priority] = await enqueueOrUnavailable(() =>
      lanePrioritiesFor(redis, deps.queues, lane, [{ tenant: base.tenant ?? 'anonymous', priority: extras.priority, weight: shareWeightOf(caller) }]),
    );
  }
  return {
    jobId,
    body,
    keyId: base.key_id,
    lane,
    opts: { jobId, ...(priority !== undefined ? { priority } : {}) },
    limitSubject: limitSubjectOf(caller, base.agent_id),
    data: (reservedUsd) => ({ ...base, reserved_usd: reservedUsd }),
  };
}
