import { randomUUID } from 'node:crypto';

// The only id forms the gateway makes: a lowercase UUID (single jobs, batches) and `<batch id>-<index>` (a batch's
// requests). Matching exactly these keeps a caller's id from naming one of BullMQ's own keys (`wait`, `meta`, …).
const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const batchIdPattern = new RegExp(`^${uuid}$`);
const jobIdPattern = new RegExp(`^${uuid}(?:-(?:0|[1-9][0-9]{0,8}))?$`);

/** A new id for a single job or a batch. */
export function newGatewayId(): string {
  return randomUUID();
}

/** Whether `id` is one the gateway gives batches. */
export function isGatewayBatchId(id: string): boolean {
  return batchIdPattern.test(id);
}

/** Whether `id` is one the gateway gives jobs: a single job's, or a batch request's (`<batch id>-<index>`). */
export function isGatewayJobId(id: string): boolean {
  return jobIdPattern.test(id);
}
