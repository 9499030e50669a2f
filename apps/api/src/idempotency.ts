import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { idempotencyKeySchema, invalidRequest, streamEventIdSchema, type Lane, type StreamEventId } from '@gateway/contracts';
import { derivedGatewayId } from '@gateway/queue';
import { callerOf, newWorkId, workOwnerOf } from './caller';
import { headerField } from './header-fields';

/** The Idempotency-Key of a POST that creates work, with what identifies its request. */
export interface IdempotentRequest {
  key: string;
  /** SHA-256 of the route and the body as parsed: the same key with another request is a 409. */
  requestHash: string;
}

/**
 * The request's `Idempotency-Key` (400 when it is not 1–255 printable ASCII characters), with its request hash: of
 * `body` (the parsed request; a batch, read as it arrives, gives its own), else of the body express parsed.
 */
export function idempotentRequestOf(req: Request, route: string, body: unknown = req.body): IdempotentRequest | undefined {
  const key = headerField(req, 'Idempotency-Key', idempotencyKeySchema);
  if (key === undefined) return undefined;
  return {
    key,
    requestHash: createHash('sha256').update(route).update('\u0000').update(bodyText(body)).digest('hex'),
  };
}

/** The body as hashed; a body nested too deeply to serialise (the JSON parser took it) is a 400, not a 500. */
function bodyText(body: unknown): string {
  try {
    return JSON.stringify(body ?? null);
  } catch (error) {
    if (error instanceof RangeError) throw invalidRequest('the request body is nested too deeply');
    throw error;
  }
}

/**
 * The id of the job (or batch) a request makes: derived from the caller and its Idempotency-Key when it sent one (so
 * the same key always names the same work, and the add is the duplicate check), else a new one. A batch's id, and a
 * job's of the `job` lane (`lane`), carry their lane's mark: the id names the queue its work is in (job-ids.ts).
 */
export function workIdFor(req: Request, idempotent: IdempotentRequest | undefined, what: 'job' | 'batch' = 'job', lane: Lane = 'interactive'): string {
  const caller = callerOf(req);
  const mark = what === 'batch' ? 'batch' : lane === 'interactive' ? undefined : lane;
  if (!idempotent) return newWorkId(caller, mark);
  return derivedGatewayId(what, workOwnerOf(caller), caller.kind, idempotent.key, mark);
}

/** The client's `Last-Event-ID` (header, or `last_event_id` in the query for clients that cannot set headers); 400 when malformed. */
export function lastEventIdOf(req: Request): StreamEventId | undefined {
  const query = req.query['last_event_id'];
  const value = req.get('Last-Event-ID') ?? (typeof query === 'string' ? query : undefined);
  if (value === undefined) return undefined;
  const parsed = streamEventIdSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalidRequest(`header Last-Event-ID: ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
}
