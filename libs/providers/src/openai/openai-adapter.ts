import { createOpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible-adapter';
import type { HttpClient } from '../http/http-client';
import type { OpenAiRequest } from '../openai-compatible/openai-compatible-wire';
import { withoutCacheControl } from '../openai-compatible/openai-compatible-map';
import type { ProviderAdapter } from '../types';

export interface OpenAiOptions {
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  http?: HttpClient;
}

/** OpenAI's chat completions take `reasoning_effort`, not OpenRouter's `reasoning` object. */
export function toOpenAiReasoning(body: OpenAiRequest): OpenAiRequest {
  const { reasoning, ...rest } = body;
  if (!reasoning) return body;
  const effort = rest.reasoning_effort ?? reasoning.effort ?? (reasoning.enabled === false ? 'none' : undefined);
  return { ...rest, ...(effort !== undefined ? { reasoning_effort: effort } : {}) };
}

/** Deprecated: route OpenAI models through OpenRouter instead. OpenAI caches by itself: caching breakpoints are left out. */
export function createOpenAiAdapter(options: OpenAiOptions): ProviderAdapter {
  return createOpenAiCompatibleAdapter({ id: 'openai', ...options, decorateRequest: (body) => toOpenAiReasoning(withoutCacheControl(body, false)) });
}
