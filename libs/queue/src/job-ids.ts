import { createHash, randomUUID } from 'node:crypto';

// The only id forms the gateway makes: a lowercase UUID (single jobs, batches), the same after the id of the API key
// that owns it (`key_<16 letters or digits>_<uuid>`) or after `admin_` (the operator's work), and `<batch id>-<index>`
// (a batch's requests). Matching exactly
// these keeps a caller's id from naming one of BullMQ's own keys (`wait`, `meta`, …).
const uuid = '(?:key_[A-Za-z0-9]{16}_|admin_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const batchIdPattern = new RegExp(`^${uuid}$`);
const jobIdPattern = new RegExp(`^${uuid}(?:-(?:0|[1-9][0-9]{0,8}))?$`);

/** A new id for a single job or a batch; `ownerKeyId` (an API key's id, or `admin`) goes in front, so the id tells its owner. */
export function newGatewayId(ownerKeyId?: string): string {
  return ownerKeyId === undefined ? randomUUID() : `${ownerKeyId}_${randomUUID()}`;
}

/**
 * The id of work made under an Idempotency-Key: a UUID-shaped SHA-256 of (what, owner, scope, key), so the same key of
 * the same caller always names the same job or batch and BullMQ's add-if-absent is the duplicate check. `scope` tells
 * callers without an API key apart (the static token, open access); `what` keeps a job's and a batch's ids apart.
 */
export function derivedGatewayId(what: 'job' | 'batch', ownerKeyId: string | undefined, scope: string, idempotencyKey: string): string {
  const hex = createHash('sha256')
    .update(`${what}\u0000${ownerKeyId ?? ''}\u0000${scope}\u0000${idempotencyKey}`)
    .digest('hex');
  // Version 8 (custom) and the RFC 4122 variant, so it reads as the UUIDs the gateway makes.
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return ownerKeyId === undefined ? uuid : `${ownerKeyId}_${uuid}`;
}

/** Whether `id` is one the gateway gives batches. */
export function isGatewayBatchId(id: string): boolean {
  return batchIdPattern.test(id);
}

/** Whether `id` is one the gateway gives jobs: a single job's, or a batch request's (`<batch id>-<index>`). */
export function isGatewayJobId(id: string): boolean {
  return jobIdPattern.test(id);
}
