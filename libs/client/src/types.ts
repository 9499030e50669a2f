import type { BatchItem, ChatMessage, ChatParams, ProviderId, StreamToolCallDelta, ToolCall, Usage } from '@gateway/contracts';
import type { CallOptions } from './http';

/** The chat parameters a call may set besides its messages, in the client's spelling (sent as OpenAI's names). */
export interface ChatParameters {
  temperature?: number;
  maxTokens?: number;
  /** Function tools the model may call (JSON Schema `parameters`). */
  tools?: ChatParams['tools'];
  toolChoice?: ChatParams['tool_choice'];
  parallelToolCalls?: boolean;
  /** `{type: 'json_object'}` or `{type: 'json_schema', json_schema: {name, schema}}`. */
  responseFormat?: ChatParams['response_format'];
  stop?: ChatParams['stop'];
  topP?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  reasoningEffort?: ChatParams['reasoning_effort'];
  reasoning?: ChatParams['reasoning'];
  /** Forwarded to the provider as OpenAI's `user`. */
  user?: string;
  metadata?: ChatParams['metadata'];
}

/** Options of a chat call (sync, streamed, or as a job). */
export interface ChatOptions extends ChatParameters {
  /** A model id; `mock/...`, `ollama/...` pick a provider; none means the gateway's default. */
  model?: string;
  /** 1 = most urgent; larger numbers wait longer. */
  priority?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * Names this call's work: the gateway answers a repeat (same key, same body, within 24 h) with the same job, and a
   * repeat with another body with 409. Default: a new key per call when the client retries (retry.maxRetries > 0)
   * or resumes streams, kept across that call's retries.
   */
  idempotencyKey?: string;
}

export interface JobOptions extends ChatOptions {
  /** Receives the job's outcome by POST (its host must be allowed by the gateway's operator). */
  callbackUrl?: string;
}

/**
 * One chunk of a streamed answer: text, tool-call fragments (OpenAI's streamed shape: an index's first fragment
 * carries its id and name, later ones more arguments), or the last one (`done`) with the usage, cost and the whole
 * tool calls. `jobId` names the gateway's job.
 */
export type StreamChunk =
  | { type: 'content'; jobId: string; content: string; model: string; provider: ProviderId }
  | { type: 'tool_calls'; jobId: string; toolCalls: StreamToolCallDelta[]; model: string; provider: ProviderId }
  | { type: 'done'; jobId: string; model: string; provider: ProviderId; usage: Usage; costUsd: number; finishReason: string | null; toolCalls?: ToolCall[] };

/** A request of a batch: the messages, and per-request options. */
export interface BatchRequest extends ChatParameters {
  agentId?: string;
  messages: ChatMessage[];
  model?: string;
  priority?: number;
  /** Your id for this request; results carry it back. */
  customId?: string;
}

export interface WaitOptions {
  /** Time between polls (default 500 ms). */
  pollIntervalMs?: number;
  /** Gives up after this long (default: no limit). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type { BatchItem };

/** Options of `embeddings()`. */
export interface EmbeddingsOptions extends CallOptions {
  /** `float` (default): numbers; `base64`: the float32 bytes of each vector (smaller on the wire). */
  encodingFormat?: 'float' | 'base64';
  /** Fewer dimensions than the model's (models that take it, such as text-embedding-3-*). */
  dimensions?: number;
  /** The agent the call is made for (OpenAI's `user`). */
  user?: string;
  idempotencyKey?: string;
}

/** The numbers of a base64 vector (`encodingFormat: 'base64'`): its little-endian float32 values. */
export function decodeEmbedding(base64: string): number[] {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return Array.from(new Float32Array(bytes.buffer, 0, Math.floor(bytes.length / 4)));
}
