import { z } from 'zod';

/** Ollama `/api/chat`: only the fields we read. A failure may arrive as a bare `{"error": "..."}` (also mid-stream). */
export const ollamaChatSchema = z.object({
  model: z.string().nullish(),
  message: z.object({ role: z.string().nullish(), content: z.string().nullish() }).nullish(),
  done: z.boolean().nullish(),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().nullish(),
  eval_count: z.number().nullish(),
  error: z.string().nullish(),
});
export type OllamaChat = z.infer<typeof ollamaChatSchema>;

/** The request body we send. Ollama streams unless told `stream: false`. */
export interface OllamaRequest {
  model: string;
  messages: { role: string; content: string }[];
  stream: boolean;
  options?: { temperature?: number; num_predict?: number };
}
