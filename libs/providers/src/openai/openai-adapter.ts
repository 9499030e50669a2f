import { createOpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible-adapter';
import type { HttpClient } from '../http/http-client';
import type { ProviderAdapter } from '../types';

/** Options of the (deprecated) direct OpenAI adapter. */
export interface OpenAiOptions {
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  http?: HttpClient;
}

/** Deprecated: route OpenAI models through OpenRouter instead. */
export function createOpenAiAdapter(options: OpenAiOptions): ProviderAdapter {
  return createOpenAiCompatibleAdapter({ id: 'openai', ...options });
}
