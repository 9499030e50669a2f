import {
  GatewayError,
  chatJobDataSchema,
  chatParamsOf,
  idempotencyConflict,
  idempotencySpent,
  queueUnavailable,
  type ChatJobData,
  type ChatRequest,
  type Lane,
} from '@gateway/contracts';
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
  /** Keep the stream's messages (attach and resume at GET /v1/jobs/{id}/stream). */
  resumable?: boolean;
  /** How a kept stream is worded when attached to. */
  streamFormat?: ChatJobData['stream_format'];
  /** Made under an Idempotency-Key: the request's hash (see idempotency.ts). */
  requestHash?: string | undefined;
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
export function toChatJobData(
  requestId: string,
  body: ChatRequest,
  defaultModel: string,
  extras: JobDataExtras = {},
  caller: Caller = { kind: 'open' },
): ChatJobData {
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
    ...(extras.resumable ? { resumable: true } : {}),
    ...(extras.streamFormat !== undefined ? { stream_format: extras.streamFormat } : {}),
    ...(extras.requestHash !== undefined ? { request_hash: extras.requestHash } : {}),
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

/** A single chat job ready for admission: checked against the key's models and the providers, its payload built. */
async function preparedJob(deps: EnqueueDeps, req: Pick<Request, 'id' | 'caller'>, body: ChatRequest, jobId: string, extras: JobDataExtras) {
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
    [priority] = await enqueueOrUnavailable(() =>
      lanePrioritiesFor(redis, deps.queue, lane, [{ tenant: base.tenant ?? 'anonymous', priority: extras.priority, weight: shareWeightOf(caller) }]),
    );
  }
  return {
    base,
    lane,
    opts: { jobId, ...(priority !== undefined ? { priority } : {}) },
    tenant: tenantOf(caller, base.agent_id),
    jobData: (reservedUsd: number): ChatJobData => ({ ...base, reserved_usd: reservedUsd }),
  };
}

/**
 * The one way a single chat job enters the queue, whatever the route (`/v1/chat`, `/v1/chat/stream`, `/v1/jobs`,
 * `/v1/chat/completions` plain or streamed): admission (429 rate limit, 402 budget), then the enqueue; a failed
 * enqueue gives the reservation back. Batches admit the same way item by item (routes/batches.ts).
 */
export async function admitAndEnqueue(
  deps: EnqueueDeps,
  req: Pick<Request, 'id' | 'caller'>,
  body: ChatRequest,
  jobId: string,
  extras: JobDataExtras = {},
): Promise<ChatJobData> {
  const { base, lane, opts, tenant, jobData } = await preparedJob(deps, req, body, jobId, extras);
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

/** What a job as stored says of the request that made it (undefined: no such job). */
async function storedRequest(queue: ChatQueue, jobId: string): Promise<Pick<ChatJobData, 'request_id' | 'request_hash'> | undefined> {
  const job = await enqueueOrUnavailable(() => queue.getJob(jobId));
  if (!job) return undefined;
  const parsed = chatJobDataSchema.pick({ request_id: true, request_hash: true }).safeParse(job.data);
  return parsed.success ? parsed.data : { request_id: '' };
}

/** A duplicate's answer: the same request joins the existing job; another one is a 409. */
function joinOrConflict(jobId: string, requestHash: string, stored: Pick<ChatJobData, 'request_hash'>): 'joined' {
  if (stored.request_hash !== requestHash) throw idempotencyConflict(jobId);
  return 'joined';
}

/**
 * admitAndEnqueue for every route, with the Idempotency-Key's rule: without a key (`extras.requestHash` unset) the
 * job is made ('created'). With one, the job id was derived from the key, so the job exists at most once: a
 * duplicate (concurrent or later) takes no rate token and no reservation and answers 'joined' (the caller waits on
 * or attaches to that job), or 409 `conflict` when the job was made for another request. On a standalone Redis the
 * check, the admission and the add are one script; on a cluster the add is BullMQ's add-if-absent and the
 * reservation (keyed by job id) is taken once.
 */
export async function admitOrJoin(
  deps: EnqueueDeps,
  req: Pick<Request, 'id' | 'caller'>,
  body: ChatRequest,
  jobId: string,
  extras: JobDataExtras = {},
): Promise<'created' | 'joined'> {
  const { requestHash } = extras;
  if (requestHash === undefined) {
    await admitAndEnqueue(deps, req, body, jobId, extras);
    return 'created';
  }
  try {
    const outcome = await admitKeyed(deps, req, body, jobId, { ...extras, requestHash });
    deps.admission.countKeyed(outcome);
    return outcome;
  } catch (error) {
    if (error instanceof GatewayError && error.type === 'conflict') deps.admission.countKeyed('conflict');
    throw error;
  }
}

/** admitOrJoin for a request with an Idempotency-Key. */
async function admitKeyed(
  deps: EnqueueDeps,
  req: Pick<Request, 'id' | 'caller'>,
  body: ChatRequest,
  jobId: string,
  extras: JobDataExtras & { requestHash: string },
): Promise<'created' | 'joined'> {
  const { requestHash } = extras;
  if (deps.admission.fusesEnqueue) {
    const { base, lane, opts, tenant, jobData } = await preparedJob(deps, req, body, jobId, extras);
    const outcome = await enqueueOrUnavailable(() => deps.admission.admitAndAddKeyed(deps.queue, body, { name: lane, data: jobData, opts }, tenant));
    if ('spent' in outcome) throw idempotencySpent(jobId);
    if ('duplicate' in outcome) {
      const stored = await storedRequest(deps.queue, jobId);
      // Gone between the script and this read (removed, e.g. its caller's timeout dropped it): say so, retryable.
      if (!stored) throw queueUnavailable();
      return joinOrConflict(jobId, requestHash, stored);
    }
    if (outcome.addError) {
      await deps.admission.release(jobId, base.key_id).catch(() => undefined);
      throw asUnavailable(outcome.addError);
    }
    return 'created';
  }
  const before = await storedRequest(deps.queue, jobId);
  if (before) return joinOrConflict(jobId, requestHash, before);
  // Billed and no longer kept: running it again would be free (billing is once per job id), so the key is spent.
  if (await enqueueOrUnavailable(() => deps.admission.keySpent(jobId))) throw idempotencySpent(jobId);
  await admitAndEnqueue(deps, req, body, jobId, extras);
  // Two requests with one key raced past the look above: BullMQ kept the first add; the reservation was taken once.
  const after = await storedRequest(deps.queue, jobId);
  return after && after.request_id !== req.id ? joinOrConflict(jobId, requestHash, after) : 'created';
}
