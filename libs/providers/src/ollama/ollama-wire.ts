import { z } from 'zod';

/** Ollama `/api/chat`: only the fields we read. A failure may arrive as a bare `{"error": "..."}` (also mid-stream). */
export const ollamaChatSchema = z.object({
  model: z.string().nullish(),
  message: z
    .object({
      role: z.string().nullish(),
      content: z.string().nullish(),
      tool_calls: z.array(z.object({ function: z.object({ name: z.string().nullish(), arguments: z.unknown().optional() }).nullish() })).nullish(),
    })
    .nullish(),
  done: z.boolean().nullish(),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().nullish(),
  eval_count: z.number().nullish(),
  error: z.string().nullish(),
});
export type OllamaChat = z.infer<typeof ollamaChatSchema>;

/** A message we send. */
export interface OllamaMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
}

/** The request body we send. Ollama streams unless told `stream: false`. */
export interface OllamaRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: unknown[];
  format?: 'json' | Record<string, unknown>;
  think?: boolean;
  options?: {
    temperature?: number;
    num_predict?: number;
    top_p?: number;
    top_k?: number;
    seed?: number;
    stop?: string[];
    presence_penalty?: number;
    frequency_penalty?: number;
  };
}
