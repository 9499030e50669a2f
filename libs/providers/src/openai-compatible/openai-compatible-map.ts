import type { Usage } from '@gateway/contracts';
import type { ProviderChatRequest } from '../types';
import type { OpenAiRequest } from './openai-compatible-wire';
import type { openAiUsageSchema } from './openai-compatible-wire';
import type { z } from 'zod';

export function toOpenAiRequest(request: ProviderChatRequest, stream: boolean): OpenAiRequest {
  return {
    model: request.model,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

export function fromOpenAiUsage(usage: z.infer<typeof openAiUsageSchema> | null | undefined): Usage {
  const prompt = Math.max(0, Math.round(usage?.prompt_tokens ?? 0));
  const completion = Math.max(0, Math.round(usage?.completion_tokens ?? 0));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: Math.max(0, Math.round(usage?.total_tokens ?? prompt + completion)) };
}

/** OpenRouter reports a numeric HTTP-like code in `error.code`; 400-class codes are the caller's request. */
export function isInvalidRequestCode(code: number | string | null | undefined): boolean {
  const numeric = typeof code === 'number' ? code : Number(code);
  return numeric === 400 || numeric === 404 || numeric === 422;
}
