import { chatParamsOf, laneOf, type ChatJobData, type ChatRequest, type Lane } from '@gateway/contracts';
import { tenantId } from '@gateway/queue';
import { agentIdFor, ownerKeyOf, type Caller } from '../caller';

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
  /** Its scheduling lane; absent: `interactive` when a reply channel waits for it, else `job`. */
  lane?: Lane;
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
  const agentId = agentIdFor(caller, body.agent_id);
  const keyId = ownerKeyOf(caller);
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
    ...(extras.keepOutcomeSeconds !== undefined ? { keep_outcome_seconds: extras.keepOutcomeSeconds } : {}),
    lane: laneOf(extras.lane, extras.replyTo),
    tenant: tenantId(keyId, agentId),
  };
}
