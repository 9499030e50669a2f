import { z } from 'zod';
import { chatMessageSchema, invalidRequest, notFound, storeFull, type ChatMessage } from '@gateway/contracts';
import { deleteStoredRecord, readStoredRecord, saveStoredRecord, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { mayAccess, ownerOfId, type Caller } from '../caller';
import { responsesRequestSchema, type ResponsesRequest } from '../dialects/responses/responses-wire';

/**
 * What the gateway keeps of a stored response beside its job's kept outcome: the request it echoes, its input items
 * (as listed), and the conversation it sent without its instructions (what `previous_response_id` continues).
 */
export interface ResponseRecord {
  id: string;
  jobId: string;
  createdAt: number;
  model: string;
  request: ResponsesRequest;
  inputItems: Record<string, unknown>[];
  conversation: ChatMessage[];
}

const recordSchema = z.object({
  id: z.string(),
  jobId: z.string(),
  createdAt: z.number(),
  model: z.string(),
  request: responsesRequestSchema,
  inputItems: z.array(z.record(z.string(), z.unknown())),
  conversation: z.array(chatMessageSchema),
});

/** The job id of a response id (`resp_<job id>`); undefined for an id the gateway never gives. */
export const jobIdOfResponse = (id: string): string | undefined => (id.startsWith('resp_') ? id.slice('resp_'.length) : undefined);

/** Who owns a response: its job id's owner ('' for work made without a key). */
export const responseOwner = (jobId: string): string => ownerOfId(jobId) ?? '';

interface RecordDeps {
  redis: RedisClient;
  prefix: QueuePrefix;
  config: { responses: { ttlSeconds: number; maxPerOwner: number } };
}

/**
 * Stores a response's record for RESPONSES_TTL_SECONDS; answers how many its owner keeps with it. 403 when its owner
 * keeps RESPONSES_MAX_PER_KEY already.
 */
export async function saveResponseRecord(deps: RecordDeps, record: ResponseRecord): Promise<number> {
  const { ttlSeconds, maxPerOwner } = deps.config.responses;
  // The input lives in inputItems; the echoed request keeps the rest.
  const stored = { ...record, request: { ...record.request, input: [] } };
  const kept = await saveStoredRecord(deps.redis, deps.prefix, record.id, JSON.stringify(stored), {
    owner: responseOwner(record.jobId),
    ttlSeconds,
    maxPerOwner,
  });
  if (kept === undefined) throw storeFull('responses', maxPerOwner);
  return kept;
}

export async function readResponseRecord(deps: Pick<RecordDeps, 'redis' | 'prefix'>, id: string): Promise<ResponseRecord | undefined> {
  const text = await readStoredRecord(deps.redis, deps.prefix, id);
  if (text === undefined) return undefined;
  const parsed = recordSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export async function deleteResponseRecord(deps: Pick<RecordDeps, 'redis' | 'prefix'>, record: Pick<ResponseRecord, 'id' | 'jobId'>): Promise<boolean> {
  return deleteStoredRecord(deps.redis, deps.prefix, record.id, responseOwner(record.jobId));
}

/** The stored response a caller names, or 404 (also for another key's, the same answer as for none); a 400 naming `field` when given. */
export async function requireResponseRecord(deps: Pick<RecordDeps, 'redis' | 'prefix'>, caller: Caller, id: string, field = ''): Promise<ResponseRecord> {
  const jobId = jobIdOfResponse(id);
  const record = jobId !== undefined && mayAccess(caller, ownerOfId(jobId)) ? await readResponseRecord(deps, id) : undefined;
  if (!record) {
    if (field !== '') throw invalidRequest(`${field}: no stored response ${id.slice(0, 128)} (unknown, deleted, expired, or made with store: false)`);
    throw notFound('response', id, { retained: true });
  }
  return record;
}
