import { z } from 'zod';
import { chatMessageSchema, toolCallSchema, type ChatMessage } from './messages';
import { providerIdSchema } from './provider-id';
import {
  functionToolSchema,
  MAX_TOOLS,
  reasoningEffortSchema,
  reasoningSchema,
  responseFormatSchema,
  toolChoiceSchema,
  type FunctionTool,
  type ToolChoice,
} from './tools';

export { MAX_CONTENT_CHARS } from './messages';

/**
 * The chat parameters every route takes and every provider adapter receives (OpenAI's names and meanings):
 * one representation from the HTTP body through the job to the upstream's wire format.
 */
export const chatParamsShape = {
  messages: z.array(chatMessageSchema).min(1).max(1000),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  tools: z.array(functionToolSchema).max(MAX_TOOLS).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormatSchema.optional(),
  stop: z.union([z.string().min(1).max(1000), z.array(z.string().min(1).max(1000)).max(4)]).optional(),
  top_p: z.number().min(0).max(1).optional(),
  /** Sample from the k most likely tokens only (Anthropic, OpenRouter, Ollama). */
  top_k: z.number().int().min(0).max(1_000_000).optional(),
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(20).optional(),
  reasoning_effort: reasoningEffortSchema.optional(),
  reasoning: reasoningSchema.optional(),
  user: z.string().min(1).max(256).optional(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((record) => Object.keys(record).length <= 16, 'at most 16 keys')
    .optional(),
};

/** The chat parameters alone (no routing fields). */
export const chatParamsSchema = z.object(chatParamsShape);
export type ChatParams = z.infer<typeof chatParamsSchema>;

/** The names of the tools a request defines. */
export function toolNames(tools: readonly FunctionTool[] | undefined): Set<string> {
  return new Set((tools ?? []).map((tool) => tool.function.name));
}

type Issue = { path: (string | number)[]; message: string };

/** Rules across fields (OpenAI's own): each names the field it is about. */
export function chatParamsIssues(params: {
  messages: readonly ChatMessage[];
  tools?: readonly FunctionTool[] | undefined;
  tool_choice?: ToolChoice | undefined;
  logprobs?: boolean | undefined;
  top_logprobs?: number | undefined;
}): Issue[] {
  const issues: Issue[] = [];
  const names = toolNames(params.tools);
  const choice = params.tool_choice;
  if (choice !== undefined && typeof choice === 'object' && !names.has(choice.function.name)) {
    issues.push({ path: ['tool_choice', 'function', 'name'], message: `no tool named ${choice.function.name} in tools` });
  }
  if ((choice === 'required' || typeof choice === 'object') && names.size === 0) issues.push({ path: ['tool_choice'], message: 'needs tools' });
  if (names.size !== (params.tools ?? []).length) issues.push({ path: ['tools'], message: 'tool names must be unique' });
  if (params.top_logprobs !== undefined && params.logprobs !== true) issues.push({ path: ['top_logprobs'], message: 'needs logprobs: true' });
  // A tool message answers a call of an assistant message before it, as every provider requires.
  const calledIds = new Set<string>();
  params.messages.forEach((message, index) => {
    if (message.role === 'assistant') for (const call of message.tool_calls ?? []) calledIds.add(call.id);
    if (message.role === 'assistant' && message.content === null && !message.tool_calls)
      issues.push({ path: ['messages', index, 'content'], message: 'an assistant message needs content or tool_calls' });
    if (message.role === 'tool' && !calledIds.has(message.tool_call_id)) {
      issues.push({
        path: ['messages', index, 'tool_call_id'],
        message: `answers no earlier assistant tool call (no tool_calls id ${message.tool_call_id.slice(0, 64)})`,
      });
    }
  });
  return issues;
}

/** Adds chatParamsIssues to a schema's parse. */
export function withChatRules<
  T extends z.ZodType<{
    messages: ChatMessage[];
    tools?: FunctionTool[] | undefined;
    tool_choice?: ToolChoice | undefined;
    logprobs?: boolean | undefined;
    top_logprobs?: number | undefined;
  }>,
>(schema: T) {
  return schema.superRefine((value, context) => {
    for (const issue of chatParamsIssues(value)) context.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });
}

/** An agent id, wherever it comes from (body `agent_id`, the X-Agent-Id header, OpenAI's `user`): it names Redis keys. */
export const agentIdSchema = z.string().min(1).max(128);

const chatRequestObjectSchema = z.object({
  agent_id: agentIdSchema.optional(),
  model: z.string().min(1).max(256).optional(),
  priority: z.number().int().min(1).max(2_097_152).optional(),
  /** Streams: keep the job running for STREAM_RESUME_GRACE_MS after the client goes away, resumable at GET /v1/jobs/{id}/stream. */
  resumable: z.boolean().optional(),
  ...chatParamsShape,
});

/** Body of `POST /v1/chat` and `POST /v1/chat/stream`. */
export const chatRequestSchema = withChatRules(chatRequestObjectSchema);
export type ChatRequest = z.infer<typeof chatRequestObjectSchema>;
/** The shape of a chat request without the cross-field rules (for extending it: jobs, batch items). */
export { chatRequestObjectSchema };

export const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
  /**
   * Prompt tokens served from the provider's cache (`cached_tokens`, cache reads) and written to it
   * (`cache_write_tokens`, cache creation), both counted in prompt_tokens too.
   */
  prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative(), cache_write_tokens: z.number().int().nonnegative().optional() }).optional(),
  /** Reasoning tokens (counted in completion_tokens too). */
  completion_tokens_details: z.object({ reasoning_tokens: z.number().int().nonnegative() }).optional(),
});
export type Usage = z.infer<typeof usageSchema>;

/** Why the model stopped, in OpenAI's words (other upstream reasons are passed on as they are). */
export const finishReasonSchema = z.string().nullable();

/** Answer of `POST /v1/chat`. */
export const chatResponseSchema = z.object({
  content: z.string(),
  tool_calls: z.array(toolCallSchema).optional(),
  finish_reason: finishReasonSchema,
  model: z.string(),
  provider: providerIdSchema,
  usage: usageSchema,
  cost_usd: z.number().nonnegative(),
  job_id: z.string(),
});
export type ChatResponse = z.infer<typeof chatResponseSchema>;

/** The chat parameters of a request (what goes into the job and on to the provider). */
export function chatParamsOf(request: ChatParams): ChatParams {
  const params: Record<string, unknown> = {};
  for (const key of Object.keys(chatParamsShape) as (keyof ChatParams)[]) {
    const value = request[key];
    if (value !== undefined) params[key] = value;
  }
  // An empty tools array means no tools (some clients always send one).
  if (Array.isArray(params['tools']) && params['tools'].length === 0) delete params['tools'];
  return params as ChatParams;
}
