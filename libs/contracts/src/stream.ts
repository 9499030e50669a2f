import { z } from 'zod';
import { usageSchema } from './chat';
import { errorBodySchema } from './errors';
import { providerIdSchema } from './provider-id';

/** `data:` of one SSE event of `POST /v1/chat/stream` carrying text. */
export const streamChunkEventSchema = z.object({
  content: z.string(),
  model: z.string(),
  provider: providerIdSchema,
});
export type StreamChunkEvent = z.infer<typeof streamChunkEventSchema>;

/** `data:` of the last SSE event of a stream that succeeded. */
export const streamDoneEventSchema = z.object({
  done: z.literal(true),
  model: z.string(),
  provider: providerIdSchema,
  usage: usageSchema,
  cost_usd: z.number().nonnegative(),
  finish_reason: z.string().nullable(),
  job_id: z.string(),
});
export type StreamDoneEvent = z.infer<typeof streamDoneEventSchema>;

/** Any `data:` of `POST /v1/chat/stream`: a chunk, the end, or an error (the error envelope) after which the stream ends. */
export const streamEventSchema = z.union([streamChunkEventSchema, streamDoneEventSchema, errorBodySchema]);
export type StreamEvent = z.infer<typeof streamEventSchema>;
