import { z } from 'zod';
import { reasoningEffortSchema, toOpenAiErrorBody, type ErrorType, type OpenAiErrorBody } from '@gateway/contracts';

/** Drops `null` fields at the top level: OpenAI's API treats them as absent, and some clients send them. */
function withoutNulls(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
}

/** An input item without `type` but with a `role` is a message (OpenAI's EasyInputMessage). */
function typedItem(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const item = value as Record<string, unknown>;
  return item['type'] === undefined && item['role'] !== undefined ? { ...item, type: 'message' } : item;
}

const text = z.string().max(1_000_000);
const inputTextPart = z.object({ type: z.literal('input_text'), text });
const inputImagePart = z.object({
  type: z.literal('input_image'),
  image_url: z
    .string()
    .max(20 * 1024 * 1024)
    .nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['auto', 'low', 'high']).nullish(),
});
const outputTextPart = z.object({ type: z.literal('output_text'), text, annotations: z.array(z.unknown()).nullish() });
const refusalPart = z.object({ type: z.literal('refusal'), refusal: text });
const contentPart = z.discriminatedUnion('type', [inputTextPart, inputImagePart, outputTextPart, refusalPart]);
export type ResponsesContentPart = z.infer<typeof contentPart>;

const messageItem = z.object({
  type: z.literal('message'),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([text, z.array(contentPart).min(1).max(100)]),
  id: z.string().nullish(),
  status: z.string().nullish(),
});
const functionCallItem = z.object({
  type: z.literal('function_call'),
  call_id: z.string().min(1).max(256),
  name: z.string().min(1).max(256),
  arguments: text,
  id: z.string().nullish(),
  status: z.string().nullish(),
});
const functionCallOutputItem = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1).max(256),
  output: z.union([text, z.array(contentPart).max(100)]),
  id: z.string().nullish(),
  status: z.string().nullish(),
});
/** A reasoning item a client sends back: the gateway makes none, and one sent back is not forwarded. */
const reasoningItem = z.object({ type: z.literal('reasoning') }).loose();

export const responsesInputItemSchema = z.preprocess(
  typedItem,
  z.discriminatedUnion('type', [messageItem, functionCallItem, functionCallOutputItem, reasoningItem], {
    error: (issue) => (issue.code === 'invalid_union' ? 'must be a message, function_call, function_call_output or reasoning item' : undefined),
  }),
);
export type ResponsesInputItem = z.infer<typeof responsesInputItemSchema>;

/** Tool types OpenAI runs itself: the gateway serves function tools only. */
const functionToolSchema = z.object({
  type: z.literal('function'),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -'),
  description: z.string().max(8192).nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type ResponsesFunctionTool = z.infer<typeof functionToolSchema>;
/**
 * A tool OpenAI runs itself (web search, file search, computer use, Codex's `namespace`): the gateway runs none.
 * Agents send them by default (Codex sends `web_search` on every turn), so one the model may use is left out of the
 * call (and named in `X-Gateway-Dropped-Tools`); a request that forces one is refused naming it.
 */
const builtinToolSchema = z.object({ type: z.literal('builtin'), name: z.string() });
/** A tool as sent: a function tool checked field by field; any other type stands aside as a built-in tool. */
const toolSchema = z.preprocess(
  (tool) =>
    typeof tool === 'object' && tool !== null && 'type' in tool && typeof tool.type === 'string' && tool.type !== 'function'
      ? { type: 'builtin', name: tool.type.slice(0, 64) }
      : tool,
  z.discriminatedUnion('type', [functionToolSchema, builtinToolSchema], { error: () => 'a tool has a type: "function", or a built-in tool type' }),
);

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), name: z.string().min(1).max(64) }),
  // Forcing a built-in tool: refused below, naming it.
  z.looseObject({ type: z.string().min(1).max(64) }),
]);

const formatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -'),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().max(8192).nullish(),
    strict: z.boolean().nullish(),
  }),
]);

/** The tool choices a request that passed its checks holds: none forces a built-in tool. */
type ServedToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; name: string };

/** `include` values the gateway honours: it returns no reasoning items, so their encrypted content is there vacuously. */
export const honouredIncludes = new Set(['reasoning.encrypted_content']);

const responsesRequestObjectSchema = z.object({
  model: z.string().min(1).max(256).optional(),
  // A string is one user message: parsed as the list it stands for, so errors in items name their field.
  input: z
    .preprocess(
      (value) => (typeof value === 'string' ? [{ type: 'message', role: 'user', content: value }] : value),
      z.array(responsesInputItemSchema).max(1000),
    )
    .optional(),
  instructions: text.optional(),
  tools: z.array(z.unknown()).max(128).optional(),
  tool_choice: z.unknown().optional(),
  parallel_tool_calls: z.boolean().optional(),
  text: z.object({ format: formatSchema.nullish(), verbosity: z.enum(['low', 'medium', 'high']).nullish() }).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_output_tokens: z.number().int().min(1).max(1_000_000).optional(),
  reasoning: z
    .object({ effort: reasoningEffortSchema.nullish(), summary: z.enum(['auto', 'concise', 'detailed']).nullish() })
    .loose()
    .optional(),
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((record) => Object.keys(record).length <= 16, 'at most 16 keys')
    .optional(),
  user: z.string().min(1).max(128).optional(),
  store: z.boolean().optional(),
  previous_response_id: z.string().min(1).max(300).optional(),
  stream: z.boolean().optional(),
  background: z.boolean().optional(),
  include: z.array(z.string().max(200)).max(20).optional(),
  truncation: z.enum(['auto', 'disabled']).optional(),
});

/**
 * Body of `POST /v1/responses`. Tools and tool_choice are checked apart (parsed below) so a built-in tool is named
 * in the error; fields the gateway does not know are ignored, as OpenAI-compatible servers do.
 */
export const responsesRequestSchema = z.preprocess(
  withoutNulls,
  responsesRequestObjectSchema
    .extend({ tools: z.array(toolSchema).max(128).optional(), tool_choice: toolChoiceSchema.optional() })
    .superRefine((request, context) => {
      const choice = request.tool_choice;
      if (typeof choice === 'object' && choice.type !== 'function')
        context.addIssue({
          code: 'custom',
          path: ['tool_choice', 'type'],
          message: `built-in tool ${choice.type} is not served by this gateway (function tools only)`,
        });
      for (const [index, value] of (request.include ?? []).entries()) {
        if (!honouredIncludes.has(value))
          context.addIssue({ code: 'custom', path: ['include', index], message: `${value.slice(0, 64)} cannot be included by this gateway` });
      }
      const functionNames = new Set((request.tools ?? []).flatMap((tool) => (tool.type === 'function' ? [tool.name] : [])));
      if (typeof choice === 'object' && choice.type === 'function' && typeof choice['name'] === 'string' && !functionNames.has(choice['name']))
        context.addIssue({ code: 'custom', path: ['tool_choice', 'name'], message: `no tool named ${choice['name']} in tools` });
      if (choice === 'required' && functionNames.size === 0 && (request.tools ?? []).length > 0)
        context.addIssue({
          code: 'custom',
          path: ['tool_choice'],
          message: 'required, but no function tool is given (built-in tools are not served by this gateway)',
        });
      if (request.background && request.store === false) context.addIssue({ code: 'custom', path: ['store'], message: 'background responses must be stored' });
      if (request.input === undefined && request.previous_response_id === undefined) context.addIssue({ code: 'custom', path: ['input'], message: 'required' });
    })
    .transform(({ tools, tool_choice, ...request }) => ({
      ...request,
      ...(tools !== undefined ? { tools: tools.filter((tool): tool is ResponsesFunctionTool => tool.type === 'function') } : {}),
      ...(tool_choice !== undefined ? { tool_choice: tool_choice as ServedToolChoice } : {}),
      droppedTools: (tools ?? []).flatMap((tool) => (tool.type === 'builtin' ? [tool.name] : [])),
    })),
);
/** A parsed request as the dialect maps it (the built-in tools it dropped are the route's to report). */
export type ResponsesRequest = Omit<z.infer<typeof responsesRequestSchema>, 'droppedTools'>;

/** The field an `invalid request: <field>: …` message names first (OpenAI's `param`). */
function paramOf(message: string): string | null {
  const match = /^invalid request: ([A-Za-z_][\w.]*): /.exec(message);
  return match?.[1] ?? null;
}

/** OpenAI's error body, its `param` naming the field a 400 is about. */
export function toResponsesErrorBody(type: ErrorType, message: string): OpenAiErrorBody {
  const body = toOpenAiErrorBody(type, message);
  return { error: { ...body.error, param: type === 'invalid_request' ? paramOf(message) : null } };
}
