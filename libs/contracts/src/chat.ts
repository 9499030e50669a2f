import { z } from 'zod';
import { providerIdSchema } from './provider-id';

/** Largest message content we accept, in characters; bodies are also capped in bytes by the HTTP layer. */
export const MAX_CONTENT_CHARS = 1_000_000;

export const chatRoleSchema = z.enum(['system', 'user', 'assistant']);
export type ChatRole = z.infer<typeof chatRoleSchema>;

export const chatMessageSchema = z.object({
  role: chatRoleSchema,
  content: z.string().max(MAX_CONTENT_CHARS),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Body of `POST /v1/chat` and `POST /v1/chat/stream`. */
export const chatRequestSchema = z.object({
  agent_id: z.string().min(1).max(128).optional(),
  messages: z.array(chatMessageSchema).min(1).max(1000),
  model: z.string().min(1).max(256).optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  priority: z.number().int().min(1).max(2_097_152).optional(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

export const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof usageSchema>;

/** Answer of `POST /v1/chat`. */
export const chatResponseSchema = z.object({
  content: z.string(),
  model: z.string(),
  provider: providerIdSchema,
  usage: usageSchema,
  cost_usd: z.number().nonnegative(),
  job_id: z.string(),
});
export type ChatResponse = z.infer<typeof chatResponseSchema>;
