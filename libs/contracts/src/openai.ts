import { z } from 'zod';
import { MAX_CONTENT_CHARS, type ChatRequest } from './chat';
import type { ErrorType } from './errors';

const textPartSchema = z.object({ type: z.literal('text'), text: z.string().max(MAX_CONTENT_CHARS) });

/** A message as OpenAI's chat completions API takes it (text only; `developer` counts as `system`). */
export const openAiMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string().max(MAX_CONTENT_CHARS), z.array(textPartSchema).max(100)]),
});

/** Body of `POST /v1/chat/completions`: the fields we honour; others are ignored as OpenAI-compatible servers do. */
export const openAiChatRequestSchema = z.object({
  model: z.string().min(1).max(256).optional(),
  messages: z.array(openAiMessageSchema).min(1).max(1000),
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  n: z.literal(1).nullish(),
  user: z.string().min(1).max(128).optional(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
});
export type OpenAiChatRequest = z.infer<typeof openAiChatRequestSchema>;

/** One line of OpenAI's batch input format (JSONL). */
export const openAiBatchLineSchema = z.object({
  custom_id: z.string().min(1).max(256),
  method: z.literal('POST'),
  url: z.enum(['/v1/chat/completions', '/chat/completions']),
  body: openAiChatRequestSchema,
});
export type OpenAiBatchLine = z.infer<typeof openAiBatchLineSchema>;

/** Maps an OpenAI request onto the gateway's; the agent is `user`, else the X-Agent-Id header. */
export function fromOpenAiRequest(request: OpenAiChatRequest, agentHeader?: string): ChatRequest {
  const agentId = request.user ?? agentHeader;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  return {
    ...(agentId ? { agent_id: agentId } : {}),
    messages: request.messages.map((message) => ({
      role: message.role === 'developer' ? 'system' : message.role,
      content: typeof message.content === 'string' ? message.content : message.content.map((part) => part.text).join(''),
    })),
    ...(request.model !== undefined ? { model: request.model } : {}),
    ...(request.temperature !== undefined && request.temperature !== null ? { temperature: request.temperature } : {}),
    ...(maxTokens !== undefined && maxTokens !== null ? { max_tokens: maxTokens } : {}),
  };
}

/** OpenAI's error `type` names for the gateway's types (the SDKs pick their error class by HTTP status). */
export const openAiErrorTypeByErrorType: Readonly<Record<ErrorType, string>> = Object.freeze({
  invalid_request: 'invalid_request_error',
  unauthorized: 'authentication_error',
  budget_exceeded: 'insufficient_quota',
  not_found: 'not_found_error',
  payload_too_large: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  upstream_error: 'api_error',
  unavailable: 'api_error',
  timeout: 'timeout_error',
  internal_error: 'api_error',
});

/** OpenAI's error body: `code` carries the gateway's own error type. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: ErrorType };
}

export function toOpenAiErrorBody(type: ErrorType, message: string): OpenAiErrorBody {
  return { error: { message, type: openAiErrorTypeByErrorType[type], param: null, code: type } };
}
