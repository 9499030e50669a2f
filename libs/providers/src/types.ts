import type { ChatMessage, ProviderId, Usage } from '@gateway/contracts';

/** A chat call as an adapter receives it: the model is the upstream's own name (routing prefix stripped). */
export interface ProviderChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
}

/** A finished non-streamed call. */
export interface ProviderChatResult {
  content: string;
  /** The model the upstream says answered. */
  model: string;
  usage: Usage;
  /** The upstream's own cost figure in USD (OpenRouter `usage.cost`), or null when it gives none. */
  costUsd: number | null;
  finishReason: string | null;
}

/** One part of a streamed call. Types are noun-verb. */
export type ChatStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'usage'; usage: Usage; costUsd: number | null }
  | { type: 'stream-end'; model: string; finishReason: string | null };

/** One upstream. Adapters throw GatewayError; `details.retryable` says whether failover may help. */
export interface ProviderAdapter {
  readonly id: ProviderId;
  chat(request: ProviderChatRequest, signal: AbortSignal): Promise<ProviderChatResult>;
  chatStream(request: ProviderChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamPart>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}
