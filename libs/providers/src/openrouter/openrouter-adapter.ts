import { createOpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible-adapter';
import type { HttpClient } from '../http/http-client';
import type { ProviderAdapter } from '../types';
import { withoutCacheControl } from '../openai-compatible/openai-compatible-map';

export interface OpenRouterOptions {
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  /** Sent as HTTP-Referer: identifies the app on openrouter.ai rankings. */
  referer?: string | undefined;
  /** Sent as X-Title. */
  title?: string;
  http?: HttpClient;
}

/** OpenRouter: chat completions, with `usage: {include: true}` so answers carry `usage.cost`. */
export function createOpenRouterAdapter(options: OpenRouterOptions): ProviderAdapter {
  return createOpenAiCompatibleAdapter({
    id: 'openrouter',
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs,
    headers: {
      ...(options.referer ? { 'http-referer': options.referer } : {}),
      ...(options.title ? { 'x-title': options.title } : {}),
    },
    // Caching breakpoints stay on content parts, where OpenRouter takes them (and passes them on to models that cache).
    decorateRequest: (body) => ({ ...withoutCacheControl(body, true), usage: { include: true } }),
    reasoningDetails: true,
    ...(options.http ? { http: options.http } : {}),
  });
}
