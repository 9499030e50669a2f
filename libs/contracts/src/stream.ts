import { z } from 'zod';
import { usageSchema } from './chat';
import { toolCallSchema } from './messages';
import { errorBodySchema } from './errors';
import { providerIdSchema } from './provider-id';

/** `data:` of one SSE event of `POST /v1/chat/stream` carrying text. */
export const streamChunkEventSchema = z.object({
  content: z.string(),
  model: z.string(),
  provider: providerIdSchema,
});
export type StreamChunkEvent = z.infer<typeof streamChunkEventSchema>;

/** One tool-call fragment on the wire, in OpenAI's streamed shape (`id`, `type` and `name` in an index's first). */
export const streamToolCallDeltaSchema = z.object({
  index: z.number().int().nonnegative(),
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().optional(), arguments: z.string() }),
});
export type StreamToolCallDelta = z.infer<typeof streamToolCallDeltaSchema>;

/** `data:` of an SSE event of `POST /v1/chat/stream` carrying tool-call fragments. */
export const streamToolCallsEventSchema = z.object({
  tool_calls: z.array(streamToolCallDeltaSchema),
  model: z.string(),
  provider: providerIdSchema,
});
export type StreamToolCallsEvent = z.infer<typeof streamToolCallsEventSchema>;

/** `data:` of the last SSE event of a stream that succeeded. */
export const streamDoneEventSchema = z.object({
  done: z.literal(true),
  model: z.string(),
  provider: providerIdSchema,
  usage: usageSchema,
  cost_usd: z.number().nonnegative(),
  finish_reason: z.string().nullable(),
  /** The whole tool calls of the answer (their fragments were sent before). */
  tool_calls: z.array(toolCallSchema).optional(),
  job_id: z.string(),
});
export type StreamDoneEvent = z.infer<typeof streamDoneEventSchema>;

/** Any `data:` of `POST /v1/chat/stream`: a chunk of text or of tool calls, the end, or an error (the error envelope) after which the stream ends. */
export const streamEventSchema = z.union([streamChunkEventSchema, streamToolCallsEventSchema, streamDoneEventSchema, errorBodySchema]);
export type StreamEvent = z.infer<typeof streamEventSchema>;
