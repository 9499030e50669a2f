import { z } from 'zod';

/** How long an Idempotency-Key names the same work (per API key). */
export const IDEMPOTENCY_WINDOW_SECONDS = 86_400;

/** `Idempotency-Key`: 1 to 255 printable ASCII characters without spaces (it goes into a hash, never a Redis key). */
export const idempotencyKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'at most 255 characters')
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII characters without spaces only');

/**
 * The `id:` of an SSE event of a job's stream: `<seq>-<n>`, the n-th event (from 0) written for the job's stream
 * message seq (chunks count from 0; the end or an error takes the seq after the last chunk). Resuming after an id
 * sends every later event.
 */
export interface StreamEventId {
  seq: number;
  part: number;
}

/** A `Last-Event-ID` header: `<seq>-<n>` of two non-negative integers. */
export const streamEventIdSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,8})-(0|[1-9][0-9]{0,3})$/, 'must be an event id this stream sent (<seq>-<n>)')
  .transform((text): StreamEventId => {
    const [seq, part] = text.split('-').map(Number);
    return { seq: seq ?? 0, part: part ?? 0 };
  });

/** The wire form of an event id. */
export const formatStreamEventId = (id: StreamEventId): string => `${id.seq}-${id.part}`;
