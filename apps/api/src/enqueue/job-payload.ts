import { chatParamsOf, laneOf, type ChatJobData, type ChatRequest, type EmbeddingsWork, type GatewayJobData, type Lane } from '@gateway/contracts';
import { tenantId } from '@gateway/queue';
import { agentIdFor, ownerKeyOf, type Caller } from '../caller';
import { isEmbeddingsWork } from '../request-plan';

/** Where a job's outcome goes (the reply channel of an API instance, a callback URL) and how it is scheduled and kept. */
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
  /** Keep the job's outcome this long beyond its retention (stored and background responses). */
  keepOutcomeSeconds?: number;
  /** The response-cache entry its answer fills (response-cache/). */
  responseCache?: ChatJobData['response_cache'];
  /** Its scheduling lane; absent: `interactive` when a reply channel waits for it, else `job`. */
  lane?: Lane;
}

/** The fields every job carries, whatever it asks (the default model applied): its owner, agent, where its outcome goes, its lane. */
function jobBaseOf(
  requestId: string,
  work: { agent_id?: string | undefined; model?: string | undefined },
  defaultModel: string,
  extras: JobDataExtras,
  caller: Caller,
) {
  const agentId = agentIdFor(caller, work.agent_id);
  const keyId = ownerKeyOf(caller);
  return {
    request_id: requestId,
    ...(agentId !== undefined ? { agent_id: agentId } : {}),
    ...(keyId !== undefined ? { key_id: keyId } : {}),
    model: work.model ?? defaultModel,
    ...(extras.replyTo !== undefined ? { reply_to: extras.replyTo } : {}),
    ...(extras.callbackUrl !== undefined ? { callback_url: extras.callbackUrl } : {}),
    accepted_at: Date.now(),
    ...(extras.stream ? { stream: true } : {}),
    ...(extras.resumable ? { resumable: true } : {}),
    ...(extras.streamFormat !== undefined ? { stream_format: extras.streamFormat } : {}),
    ...(extras.requestHash !== undefined ? { request_hash: extras.requestHash } : {}),
    ...(extras.keepOutcomeSeconds !== undefined ? { keep_outcome_seconds: extras.keepOutcomeSeconds } : {}),
    ...(extras.responseCache !== undefined ? { response_cache: extras.responseCache } : {}),
    lane: laneOf(extras.lane, extras.replyTo),
    tenant: tenantId(keyId, agentId),
  };
}

/**
 * The job payload of a validated chat request (the default model applied), before its reservation is known: the
 * caller's key owns it, and a key's pinned agent is its agent.
 */
export function toChatJobData(
  requestId: string,
  body: ChatRequest,
  defaultModel: string,
  extras: JobDataExtras = {},
  caller: Caller = { kind: 'open' },
): ChatJobData {
  return { ...jobBaseOf(requestId, body, defaultModel, extras, caller), ...chatParamsOf(body) };
}

/** The job payload of any work the enqueue service takes: a chat request, or embeddings (`kind: 'embeddings'`). */
export function toJobData(
  requestId: string,
  work: ChatRequest | EmbeddingsWork,
  defaultModel: string,
  extras: JobDataExtras = {},
  caller: Caller = { kind: 'open' },
): GatewayJobData {
  if (!isEmbeddingsWork(work)) return toChatJobData(requestId, work, defaultModel, extras, caller);
  return {
    ...jobBaseOf(requestId, work, defaultModel, extras, caller),
    kind: 'embeddings',
    embeddings: work.embeddings,
    // The API waiting for it reads the vectors from their key (the embeddings route): the reply only names it.
    ...(extras.replyTo !== undefined ? { reply_vectors: 'key' as const } : {}),
  };
}
