import type { BatchItem, ChatMessage, ProviderId, Usage } from '@gateway/contracts';

/** Options of a chat call (sync, streamed, or as a job). */
export interface ChatOptions {
  /** A model id; `mock/...`, `ollama/...` pick a provider; none means the gateway's default. */
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** 1 = most urgent; larger numbers wait longer. */
  priority?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Options of submitJob. */
export interface JobOptions extends ChatOptions {
  /** Receives the job's outcome by POST (its host must be allowed by the gateway's operator). */
  callbackUrl?: string;
}

/** One chunk of a streamed answer: text, or the last one (`done`) with the usage and cost. `jobId` names the gateway's job. */
export type StreamChunk =
  | { type: 'content'; jobId: string; content: string; model: string; provider: ProviderId }
  | { type: 'done'; jobId: string; model: string; provider: ProviderId; usage: Usage; costUsd: number; finishReason: string | null };

/** A request of a batch: the messages, and per-request options. */
export interface BatchRequest {
  agentId?: string;
  messages: ChatMessage[];
  model?: string;
  temperature?: number;
  maxTokens?: number;
  priority?: number;
  /** Your id for this request; results carry it back. */
  customId?: string;
}

/** Options of waitForJob. */
export interface WaitOptions {
  /** Time between polls (default 500 ms). */
  pollIntervalMs?: number;
  /** Gives up after this long (default: no limit). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type { BatchItem };
