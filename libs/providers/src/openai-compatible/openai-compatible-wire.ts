import { z } from 'zod';

/** Only the fields we read. OpenRouter adds `cost` to usage and may put an `error` in a 200 body or chunk. */
const wireErrorSchema = z.object({
  message: z.string().nullish(),
  code: z.union([z.number(), z.string()]).nullish(),
});

export const openAiUsageSchema = z.object({
  prompt_tokens: z.number().nullish(),
  completion_tokens: z.number().nullish(),
  total_tokens: z.number().nullish(),
  cost: z.number().nullish(),
});

export const openAiResponseSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
        error: wireErrorSchema.nullish(),
      }),
    )
    .nullish(),
  usage: openAiUsageSchema.nullish(),
  error: wireErrorSchema.nullish(),
});
export type OpenAiResponse = z.infer<typeof openAiResponseSchema>;

export const openAiChunkSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z.object({ content: z.string().nullish() }).nullish(),
        finish_reason: z.string().nullish(),
        error: wireErrorSchema.nullish(),
      }),
    )
    .nullish(),
  usage: openAiUsageSchema.nullish(),
  error: wireErrorSchema.nullish(),
});
export type OpenAiChunk = z.infer<typeof openAiChunkSchema>;

/** The request body we send. */
export interface OpenAiRequest {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
  max_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  usage?: { include: boolean };
}
