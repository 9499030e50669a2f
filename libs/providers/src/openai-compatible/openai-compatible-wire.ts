import { z } from 'zod';
import type { ChatParams } from '@gateway/contracts';

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
  prompt_tokens_details: z.object({ cached_tokens: z.number().nullish(), cache_write_tokens: z.number().nullish() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
});
export type OpenAiUsage = z.infer<typeof openAiUsageSchema>;

/** OpenRouter's reasoning items: `reasoning.text` (text, signature) and `reasoning.encrypted` (data); others are skipped. */
const reasoningDetailSchema = z.object({
  type: z.string(),
  text: z.string().nullish(),
  signature: z.string().nullish(),
  data: z.string().nullish(),
  index: z.number().int().nonnegative().nullish(),
});
export type OpenAiReasoningDetail = z.infer<typeof reasoningDetailSchema>;

const wireToolCallSchema = z.object({
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

export const openAiResponseSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        message: z
          .object({
            content: z.string().nullish(),
            tool_calls: z.array(wireToolCallSchema).nullish(),
            reasoning_details: z.array(reasoningDetailSchema).nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
        logprobs: z.record(z.string(), z.unknown()).nullish(),
        error: wireErrorSchema.nullish(),
      }),
    )
    .nullish(),
  usage: openAiUsageSchema.nullish(),
  error: wireErrorSchema.nullish(),
});
export type OpenAiResponse = z.infer<typeof openAiResponseSchema>;

const wireToolCallDeltaSchema = wireToolCallSchema.extend({ index: z.number().int().nonnegative().nullish() });

export const openAiChunkSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z.array(wireToolCallDeltaSchema).nullish(),
            reasoning_details: z.array(reasoningDetailSchema).nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
        error: wireErrorSchema.nullish(),
      }),
    )
    .nullish(),
  usage: openAiUsageSchema.nullish(),
  error: wireErrorSchema.nullish(),
});
export type OpenAiChunk = z.infer<typeof openAiChunkSchema>;

/** The request body we send: the chat parameters as they are, plus the model and streaming fields. */
export type OpenAiRequest = Omit<ChatParams, 'metadata'> & {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  usage?: { include: boolean };
};

const isAbsent = (value: unknown) => value === undefined || value === null;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isAbsentOrString = (value: unknown) => value === undefined || value === null || typeof value === 'string';

/**
 * The common chunk (text and a finish reason, no tool calls, reasoning, usage or error) checked by hand, a few
 * field reads instead of a zod parse of every chunk: returns it when openAiChunkSchema surely accepts it as it is,
 * undefined otherwise (then the schema decides, with its errors). Fields the schema does not name are ignored by
 * both.
 */
export function plainOpenAiChunk(json: unknown): OpenAiChunk | undefined {
  if (!isRecord(json) || !isAbsent(json['error']) || !isAbsent(json['usage']) || !isAbsentOrString(json['model'])) return undefined;
  const choices = json['choices'];
  if (!isAbsent(choices)) {
    if (!Array.isArray(choices)) return undefined;
    for (const choice of choices) {
      if (!isRecord(choice) || !isAbsent(choice['error']) || !isAbsentOrString(choice['finish_reason'])) return undefined;
      const delta = choice['delta'];
      if (isAbsent(delta)) continue;
      if (!isRecord(delta) || !isAbsentOrString(delta['content']) || !isAbsent(delta['tool_calls']) || !isAbsent(delta['reasoning_details'])) return undefined;
    }
  }
  return json as OpenAiChunk;
}
