import type {
  ChatParams,
  EmbeddingInput,
  EmbeddingVector,
  EmbeddingsParams,
  ProviderId,
  ReasoningBlock,
  ReasoningDelta,
  ToolCall,
  ToolCallDelta,
  Usage,
} from '@gateway/contracts';

/**
 * A chat call as an adapter receives it: the request's chat parameters (OpenAI's names: messages, tools,
 * response_format, sampling, …) and the upstream's own model name (routing prefix stripped). Each adapter maps
 * them onto its wire format; `unsupportedField` (capabilities.ts) has already kept away what it cannot honour.
 */
export type ProviderChatRequest = ChatParams & { model: string };

/** A finished non-streamed call. */
export interface ProviderChatResult {
  content: string;
  /** Tool calls the model asked for, with string arguments and ids (the adapter makes ids when the upstream gives none). */
  toolCalls: ToolCall[];
  /** The model the upstream says answered. */
  model: string;
  usage: Usage;
  /** The upstream's own cost figure in USD (OpenRouter `usage.cost`), or null when it gives none. */
  costUsd: number | null;
  /** In OpenAI's words: stop, length, tool_calls, content_filter (others as the upstream said). */
  finishReason: string | null;
  /** OpenAI's `choices[0].logprobs`, when asked for and given. */
  logprobs?: Record<string, unknown>;
  /** The model's reasoning blocks (text and signature, or redacted), where the upstream gives them. */
  reasoningBlocks?: ReasoningBlock[];
}

/** One part of a streamed call. Types are noun-verb. */
export type ChatStreamPart =
  | { type: 'text-delta'; text: string }
  /** A fragment of the model's reasoning (before its answer): more text, a block's signature, or a redacted block. */
  | { type: 'reasoning-delta'; delta: ReasoningDelta }
  /** A fragment of a tool call: `index` numbers the calls from 0; the first fragment of an index carries id and name. */
  | { type: 'tool-call-delta'; delta: ToolCallDelta }
  | { type: 'usage'; usage: Usage; costUsd: number | null }
  | { type: 'stream-end'; model: string; finishReason: string | null };

/** One upstream call of an embeddings job: at most the provider's batch size of inputs, with the upstream's model name. */
export type ProviderEmbedRequest = Omit<EmbeddingsParams, 'input'> & { model: string; input: EmbeddingInput[] };

/** The vectors of one embed call, in input order and in the encoding asked for, with the prompt tokens it cost. */
export interface ProviderEmbedResult {
  vectors: EmbeddingVector[];
  /** The model the upstream says answered. */
  model: string;
  promptTokens: number;
  /** The upstream's own cost figure in USD (OpenRouter `usage.cost`), or null when it gives none. */
  costUsd: number | null;
}

/** One upstream. Adapters throw GatewayError; `details.recovery` says whether failover may help (see Recovery). */
export interface ProviderAdapter {
  readonly id: ProviderId;
  chat(request: ProviderChatRequest, signal: AbortSignal): Promise<ProviderChatResult>;
  chatStream(request: ProviderChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamPart>;
  /** Embeds the inputs (providers whose definition declares `embeddings`); the vectors come back in input order. */
  embed?(request: ProviderEmbedRequest, signal: AbortSignal): Promise<ProviderEmbedResult>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}
