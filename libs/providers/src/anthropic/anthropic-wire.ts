import { z } from 'zod';

/** Anthropic Messages API: only the fields we read. */
const anthropicUsageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
});
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

/** `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`: as a body or as an `error` event. */
export const anthropicErrorSchema = z.object({
  type: z.literal('error'),
  error: z.object({ type: z.string().nullish(), message: z.string().nullish() }),
});

/** A content block of an answer: text, tool_use (thinking and others are read as their type only). */
const answerBlockSchema = z.object({
  type: z.string(),
  text: z.string().nullish(),
  id: z.string().nullish(),
  name: z.string().nullish(),
  input: z.unknown().optional(),
  thinking: z.string().nullish(),
  signature: z.string().nullish(),
  data: z.string().nullish(),
});
export type AnthropicAnswerBlock = z.infer<typeof answerBlockSchema>;

export const anthropicMessageSchema = z.object({
  type: z.literal('message'),
  model: z.string().nullish(),
  content: z.array(answerBlockSchema),
  stop_reason: z.string().nullish(),
  usage: anthropicUsageSchema.nullish(),
});

/** The stream events we act on; others (content_block_stop, unknown future ones) are ignored. */
export const anthropicEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: z.object({ model: z.string().nullish(), usage: anthropicUsageSchema.nullish() }) }),
  z.object({ type: z.literal('content_block_start'), index: z.number().int().nonnegative(), content_block: answerBlockSchema }),
  z.object({
    type: z.literal('content_block_delta'),
    index: z.number().int().nonnegative().nullish(),
    delta: z.object({
      type: z.string(),
      text: z.string().nullish(),
      partial_json: z.string().nullish(),
      thinking: z.string().nullish(),
      signature: z.string().nullish(),
    }),
  }),
  z.object({ type: z.literal('message_delta'), delta: z.object({ stop_reason: z.string().nullish() }).nullish(), usage: anthropicUsageSchema.nullish() }),
  z.object({ type: z.literal('message_stop') }),
  z.object({ type: z.literal('ping') }),
  anthropicErrorSchema,
]);
export type AnthropicEvent = z.infer<typeof anthropicEventSchema>;

/** A prompt-caching breakpoint, as Anthropic takes it on blocks and tools. */
export interface AnthropicCacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

/** A content block we send. */
export type AnthropicBlock = (
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
) & { cache_control?: AnthropicCacheControl };

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | AnthropicBlock[];
}

export type AnthropicToolChoice = ({ type: 'auto' } | { type: 'any' } | { type: 'tool'; name: string } | { type: 'none' }) & {
  disable_parallel_tool_use?: boolean;
};

/** The request body we send. */
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  system?: string | { type: 'text'; text: string; cache_control?: AnthropicCacheControl }[];
  messages: AnthropicMessage[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  tools?: { name: string; description?: string; input_schema: Record<string, unknown>; cache_control?: AnthropicCacheControl }[];
  tool_choice?: AnthropicToolChoice;
  thinking?: { type: 'enabled'; budget_tokens: number };
  metadata?: { user_id: string };
  stream?: boolean;
}
