import { z } from 'zod';

/** Anthropic Messages API: only the fields we read. */
const anthropicUsageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
});
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

/** `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`: as a body or as an `error` event. */
export const anthropicErrorSchema = z.object({
  type: z.literal('error'),
  error: z.object({ type: z.string().nullish(), message: z.string().nullish() }),
});

export const anthropicMessageSchema = z.object({
  type: z.literal('message'),
  model: z.string().nullish(),
  content: z.array(z.object({ type: z.string(), text: z.string().nullish() })),
  stop_reason: z.string().nullish(),
  usage: anthropicUsageSchema.nullish(),
});

/** The stream events we act on; others (content_block_start/stop, unknown future ones) are ignored. */
export const anthropicEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: z.object({ model: z.string().nullish(), usage: anthropicUsageSchema.nullish() }) }),
  z.object({ type: z.literal('content_block_delta'), delta: z.object({ type: z.string(), text: z.string().nullish() }) }),
  z.object({ type: z.literal('message_delta'), delta: z.object({ stop_reason: z.string().nullish() }).nullish(), usage: anthropicUsageSchema.nullish() }),
  z.object({ type: z.literal('message_stop') }),
  z.object({ type: z.literal('ping') }),
  anthropicErrorSchema,
]);
export type AnthropicEvent = z.infer<typeof anthropicEventSchema>;

/** The request body we send. */
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  system?: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
  temperature?: number;
  stream?: boolean;
}
