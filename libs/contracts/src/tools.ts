import { z } from 'zod';
import { cacheControlSchema } from './messages';

/** Tools of one request (OpenAI's limit). */
export const MAX_TOOLS = 128;
/** Largest JSON Schema of one tool or response format, as JSON text. */
export const MAX_SCHEMA_BYTES = 64 * 1024;

const functionNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');

/** A JSON Schema: an object, bounded in size. */
const jsonSchemaSchema = z
  .record(z.string(), z.unknown())
  .refine((schema) => JSON.stringify(schema).length <= MAX_SCHEMA_BYTES, `must be at most ${MAX_SCHEMA_BYTES} bytes of JSON`);

/** Longest tool description: agents' own tools say a lot (Claude Code's shell tool, about 10,000 characters). */
export const MAX_TOOL_DESCRIPTION_CHARS = 65_536;

export const functionToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: functionNameSchema,
    description: z.string().max(MAX_TOOL_DESCRIPTION_CHARS).optional(),
    parameters: jsonSchemaSchema.optional(),
    strict: z.boolean().nullish(),
  }),
  /** A prompt-caching breakpoint after the tool definitions up to this one (see cacheControlSchema). */
  cache_control: cacheControlSchema.optional(),
});
export type FunctionTool = z.infer<typeof functionToolSchema>;

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: functionNameSchema }) }),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: functionNameSchema,
      description: z.string().max(8192).optional(),
      schema: jsonSchemaSchema.optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

export const reasoningEffortSchema = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
export type ReasoningEffort = z.infer<typeof reasoningEffortSchema>;

/** OpenRouter's unified `reasoning` object (effort or a token budget). */
export const reasoningSchema = z.object({
  effort: reasoningEffortSchema.optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  exclude: z.boolean().optional(),
  enabled: z.boolean().optional(),
});
export type Reasoning = z.infer<typeof reasoningSchema>;
