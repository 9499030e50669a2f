import { randomUUID } from 'node:crypto';

// The only id forms the gateway makes: a lowercase UUID (single jobs, batches), the same after the id of the API key
// that owns it (`key_<16 letters or digits>_<uuid>`), and `<batch id>-<index>` (a batch's requests). Matching exactly
// these keeps a caller's id from naming one of BullMQ's own keys (`wait`, `meta`, …).
const uuid = '(?:key_[A-Za-z0-9]{16}_)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const batchIdPattern = new RegExp(`^${uuid}$`);
const jobIdPattern = new RegExp(`^${uuid}(?:-(?:0|[1-9][0-9]{0,8}))?$`);

/** A new id for a single job or a batch; `ownerKeyId` (an API key's id) goes in front, so the id tells its owner. */
export function newGatewayId(ownerKeyId?: string): string {
  return ownerKeyId === undefined ? randomUUID() : `${ownerKeyId}_${randomUUID()}`;
}

/** Whether `id` is one the gateway gives batches. */
export function isGatewayBatchId(id: string): boolean {
  return batchIdPattern.test(id);
}

/** Whether `id` is one the gateway gives jobs: a single job's, or a batch request's (`<batch id>-<index>`). */
export function isGatewayJobId(id: string): boolean {
  return jobIdPattern.test(id);
}
