import { chatParamsOf, queueUnavailable, type ChatJobData, type ChatRequest, type Lane } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { removeUnstartedJob, tenantId, type ChatQueue, type RedisClient } from '@gateway/queue';
import type { Request } from 'express';
import type { Admission } from './admission';
import { agentIdFor, assertModelAllowed, callerOf, ownerKeyOf, ownerKeyOfId, shareWeightOf, tenantOf, type Caller } from './caller';
import { isRedisUnavailable } from './middleware/error-handler';
import { lanePrioritiesFor } from './job-priority';
import { servablePlan } from './request-plan';

/** Where a job's outcome goes: the reply channel of an API instance (sync, stream) and/or a callback URL. */
export interface JobDataExtras {
  replyTo?: string;
  callbackUrl?: string;
  stream?: boolean;
  /** An asynchronous job's own `priority` (its band in the lane); interactive routes ignore it (job-priority.ts). */
  priority?: number | undefined;
  /** Its scheduling lane; absent: `interactive` when a reply channel waits for it, else `job`. */
  lane?: Lane;
}

/** The lane of a job: as asked, else interactive when a caller waits on its reply channel, else an asynchronous job. */
export function laneOf(extras: Pick<JobDataExtras, 'lane' | 'replyTo'>): Lane {
  return extras.lane ?? (extras.replyTo !== undefined ? 'interactive' : 'job');
}

/**
 * The job payload of a validated chat request (the default model applied): the caller's key owns it, and a key's
 * pinned agent is its agent.
 */
export function toChatJobData(requestId: string, body: ChatRequest, defaultModel: string, extras: JobDataExtras = {}, caller: Caller = { kind: 'open' }): ChatJobData {
  const agentId = agentIdFor(caller, body.agent_id);
  const keyId = ownerKeyOf(caller);
  const lane = laneOf(extras);
  return {
    request_id: requestId,
    ...(agentId !== undefined ? { agent_id: agentId } : {}),
    ...(keyId !== undefined ? { key_id: keyId } : {}),
    model: body.model ?? defaultModel,
    ...chatParamsOf(body),
    ...(extras.replyTo !== undefined ? { reply_to: extras.replyTo } : {}),
    ...(extras.callbackUrl !== undefined ? { callback_url: extras.callbackUrl } : {}),
    accepted_at: Date.now(),
    ...(extras.stream ? { stream: true } : {}),
    lane,
    tenant: tenantId(keyId, agentId),
  };
}

/**
 * Drops a job no worker has taken yet (its caller went away or gave up) and gives its reservation back, in its
 * key's ledger too; a job already running is left to its worker, which settles it. Never throws.
 */
export async function dropUnstartedJob(queue: ChatQueue, admission: Pick<Admission, 'release'>, jobId: string): Promise<void> {
  try {
    if (await removeUnstartedJob(queue, jobId)) await admission.release(jobId, ownerKeyOfId(jobId));
  } catch {
    // Redis trouble: the reservation lapses with its lifetime.
  }
}

/** A Redis outage as `unavailable` (503 + Retry-After); any other error as it is. */
function asUnavailable(error: unknown): unknown {
  return isRedisUnavailable(error) ? queueUnavailable(error) : error;
}

/** Runs a Redis write of an enqueue, turning a Redis outage into `unavailable` (503 + Retry-After). */
export async function enqueueOrUnavailable<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw asUnavailable(error);
  }
}

/** What admitting and enqueueing one chat job needs. */
export interface EnqueueDeps {
  config: Pick<Config, 'llm' | 'providers'>;
  queue: ChatQueue;
  admission: Admission;
  /** A connection to the queue's Redis, for the job lane's fair-share rounds (interactive routes need none). */
  redis?: RedisClient;
}

/**
 * The one way a single chat job enters the queue, whatever the route (`/v1/chat`, `/v1/chat/stream`, `/v1/jobs`,
 * `/v1/chat/completions` plain or streamed): admission (429 rate limit, 402 budget), then the enqueue; a failed
 * enqueue gives the reservation back. Batches admit the same way item by item (routes/batches.ts).
 */
export async function admitAndEnqueue(deps: EnqueueDeps, req: Pick<Request, 'id' | 'caller'>, body: ChatRequest, jobId: string, extras: JobDataExtras = {}): Promise<ChatJobData> {
  const caller = callerOf(req);
  // A model outside the key's allow-list is a 403, and a request no provider can honour a 400, before anything is reserved.
  assertModelAllowed(caller, body.model ?? deps.config.llm.defaultModel);
  servablePlan(deps.config, body);
  const base = toChatJobData(req.id, body, deps.config.llm.defaultModel, extras, caller);
  const lane = base.lane ?? 'interactive';
  // Interactive work costs nothing here (BullMQ's wait list); a job takes its tenant's next round in its band.
  let priority: number | undefined;
  if (lane !== 'interactive') {
    const { redis } = deps;
    if (!redis) throw new Error(`enqueueing a ${lane} job needs a redis connection`);
    [priority] = await enqueueOrUnavailable(() => lanePrioritiesFor(redis, deps.queue, lane, [{ tenant: base.tenant ?? 'anonymous', priority: extras.priority, weight: shareWeightOf(caller) }]));
  }
  const opts = { jobId, ...(priority !== undefined ? { priority } : {}) };
  const tenant = tenantOf(caller, base.agent_id);
  const jobData = (reservedUsd: number): ChatJobData => ({ ...base, reserved_usd: reservedUsd });
  if (deps.admission.fusesEnqueue) {
    // One round trip: the job is added by the admission script itself, and only when admitted.
    const { data, addError } = await enqueueOrUnavailable(() => deps.admission.admitAndAdd(deps.queue, body, { name: lane, data: jobData, opts }, tenant));
    if (!addError) return data;
    await deps.admission.release(jobId, base.key_id).catch(() => undefined);
    throw asUnavailable(addError);
  }
  const admitted = await deps.admission.admitChat(body, jobId, tenant);
  const data = jobData(admitted.reservedUsd);
  try {
    await enqueueOrUnavailable(() => deps.queue.add(lane, data, opts));
  } catch (error) {
    await deps.admission.release(jobId, base.key_id).catch(() => undefined);
    throw error;
  }
  return data;
}
