import { createHash, randomUUID } from 'node:crypto';
import { queueNames } from './keys';

// The only id forms the gateway makes: a lowercase UUID, after the id of the API key that owns the work
// (`key_<16 letters or digits>_`) or `admin_` (the operator's work) when it has one, after the mark of its lane's
// queue when it has one (`job_`: an asynchronous job, in `chat-job`; `batch_`: a batch, whose requests are in
// `chat-batch`), and `<batch id>-<index>` (a batch's requests). An unmarked id names work of the `chat` queue:
// interactive work, and the jobs and batches API instances made before the lane queues. Matching exactly these keeps
// a caller's id from naming one of BullMQ's own keys (`wait`, `meta`, …).
const owner = '(?:key_[A-Za-z0-9]{16}_|admin_)?';
const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const batchIdPattern = new RegExp(`^${owner}(?:batch_)?${uuid}$`);
const jobIdPattern = new RegExp(`^${owner}(?:(?:job_)?${uuid}|(?:batch_)?${uuid}-(?:0|[1-9][0-9]{0,8}))$`);
const markPattern = /^(?:key_[A-Za-z0-9]{16}_|admin_)?(job|batch)_/;

/** The mark in an id of work that is not interactive: which of the lane queues holds it. */
export type LaneMark = 'job' | 'batch';

const withMark = (ownerKeyId: string | undefined, mark: LaneMark | undefined, id: string) =>
  `${ownerKeyId === undefined ? '' : `${ownerKeyId}_`}${mark === undefined ? '' : `${mark}_`}${id}`;

/**
 * A new id for a single job or a batch; `ownerKeyId` (an API key's id, or `admin`) goes in front, so the id tells its
 * owner, then `mark`, so the id tells its queue (none: interactive work, in `chat`).
 */
export function newGatewayId(ownerKeyId?: string, mark?: LaneMark): string {
  return withMark(ownerKeyId, mark, randomUUID());
}

/**
 * The id of work made under an Idempotency-Key: a UUID-shaped SHA-256 of (what, owner, scope, key), so the same key of
 * the same caller always names the same job or batch and BullMQ's add-if-absent is the duplicate check. `scope` tells
 * callers without an API key apart (the static token, open access); `what` keeps a job's and a batch's ids apart;
 * `mark` as in newGatewayId.
 */
export function derivedGatewayId(what: 'job' | 'batch', ownerKeyId: string | undefined, scope: string, idempotencyKey: string, mark?: LaneMark): string {
  const hex = createHash('sha256')
    .update(`${what}\u0000${ownerKeyId ?? ''}\u0000${scope}\u0000${idempotencyKey}`)
    .digest('hex');
  // Version 8 (custom) and the RFC 4122 variant, so it reads as the UUIDs the gateway makes.
  const derived = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return withMark(ownerKeyId, mark, derived);
}

/** Whether `id` is one the gateway gives batches. */
export function isGatewayBatchId(id: string): boolean {
  return batchIdPattern.test(id);
}

/** Whether `id` is one the gateway gives jobs: a single job's, or a batch request's (`<batch id>-<index>`). */
export function isGatewayJobId(id: string): boolean {
  return jobIdPattern.test(id);
}

/** The lane mark of a job or batch id, or undefined (interactive work, or work made before the lane queues). */
export function laneMarkOf(id: string): LaneMark | undefined {
  return markPattern.exec(id)?.[1] as LaneMark | undefined;
}

/** The name of the queue that holds the job `jobId` (a batch request's is its batch's): read from its mark alone. */
export function queueNameOfJob(jobId: string): string {
  const mark = laneMarkOf(jobId);
  return mark === 'job' ? queueNames.chatJob : mark === 'batch' ? queueNames.chatBatch : queueNames.chat;
}

/**
 * The id the same single job has in the other single-job queue (`chat` ↔ `chat-job`): an Idempotency-Key names one
 * piece of work whichever route it came by, so a key used on a route of the other lane must find it. Undefined for a
 * batch or batch request id.
 */
export function otherLaneJobId(jobId: string): string | undefined {
  const owner = /^(?:key_[A-Za-z0-9]{16}_|admin_)?/.exec(jobId)?.[0] ?? '';
  const rest = jobId.slice(owner.length);
  if (rest.startsWith('batch_') || /-\d+$/.test(rest)) return undefined;
  return rest.startsWith('job_') ? `${owner}${rest.slice('job_'.length)}` : `${owner}job_${rest}`;
}
