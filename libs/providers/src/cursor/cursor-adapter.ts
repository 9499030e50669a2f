import { createOpenAiCompatibleAdapter } from '../openai-compatible/openai-compatible-adapter';
import type { HttpClient } from '../http/http-client';
import type { ProviderAdapter } from '../types';

export interface CursorOptions {
  /** The Cursor Agent adapter's address (CURSOR_ADAPTER_URL), e.g. http://localhost:3210. */
  baseUrl: string;
  /** The adapter's own bearer token (CURSOR_ADAPTER_TOKEN). */
  token?: string | undefined;
  timeoutMs: number;
  http?: HttpClient;
}

/**
 * Cursor Agent through the HTTP adapter (apps/cursor-adapter, contract in docs/cursor-adapter.md): it speaks
 * chat completions under `/v1`, so the OpenAI-compatible core serves it. The adapter holds Cursor's key; the gateway sends the adapter's own token.
 */
export function createCursorAdapter(options: CursorOptions): ProviderAdapter {
  return createOpenAiCompatibleAdapter({
    id: 'cursor',
    baseUrl: `${options.baseUrl.replace(/\/+$/, '')}/v1`,
    apiKey: options.token,
    timeoutMs: options.timeoutMs,
    ...(options.http ? { http: options.http } : {}),
  });
}
