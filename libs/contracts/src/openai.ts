import { z } from 'zod';
import { chatParamsOf, chatParamsShape, withChatRules, type ChatRequest } from './chat';
import type { ErrorType } from './errors';

/** Drops `null` fields at the top level: OpenAI's API treats them as absent, and some clients send them. */
function withoutNulls(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
}

const openAiRequestObjectSchema = z.object({
  model: z.string().min(1).max(256).optional(),
  ...chatParamsShape,
  max_completion_tokens: z.number().int().min(1).max(1_000_000).optional(),
  n: z.literal(1).optional(),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().nullish(), resumable: z.boolean().nullish() }).optional(),
});

/**
 * Body of `POST /v1/chat/completions`: OpenAI's chat fields (tools, structured output, images, sampling,
 * reasoning); fields the gateway does not know are ignored, as OpenAI-compatible servers do.
 */
export const openAiChatRequestSchema = z.preprocess(withoutNulls, withChatRules(openAiRequestObjectSchema));
export type OpenAiChatRequest = z.infer<typeof openAiRequestObjectSchema>;

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
    ...(request.model !== undefined ? { model: request.model } : {}),
    ...chatParamsOf(request),
    ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
  };
}

/** OpenAI's error `type` names for the gateway's types (the SDKs pick their error class by HTTP status). */
export const openAiErrorTypeByErrorType: Readonly<Record<ErrorType, string>> = Object.freeze({
  invalid_request: 'invalid_request_error',
  unauthorized: 'authentication_error',
  budget_exceeded: 'insufficient_quota',
  forbidden: 'permission_error',
  not_found: 'not_found_error',
  payload_too_large: 'invalid_request_error',
  unsupported_media_type: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  upstream_error: 'api_error',
  unavailable: 'api_error',
  timeout: 'timeout_error',
  internal_error: 'api_error',
  // OpenAI has no type for a call its client ended; the SDKs see 499 as a plain APIError.
  cancelled: 'api_error',
  conflict: 'invalid_request_error',
});

/** OpenAI's error body: `code` carries the gateway's own error type. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: ErrorType };
}

export function toOpenAiErrorBody(type: ErrorType, message: string): OpenAiErrorBody {
  return { error: { message, type: openAiErrorTypeByErrorType[type], param: null, code: type } };
}
