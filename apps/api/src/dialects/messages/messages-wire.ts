import { z } from 'zod';
import { MAX_CONTENT_CHARS, MAX_IMAGE_URL_CHARS, MAX_TOOL_DESCRIPTION_CHARS, MAX_TOOLS } from '@gateway/contracts';

/** Anthropic's caching breakpoint (`null` read as none). */
const cacheControl = z.object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).nullish();
const text = z.string().max(MAX_CONTENT_CHARS);

const textBlock = z.object({ type: z.literal('text'), text, cache_control: cacheControl });
const imageSource = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('base64'),
    media_type: z.string().regex(/^image\/[a-z0-9.+-]+$/i, 'must be an image media type'),
    data: z.string().max(MAX_IMAGE_URL_CHARS),
  }),
  z.object({ type: z.literal('url'), url: z.url({ protocol: /^https?$/ }).max(MAX_IMAGE_URL_CHARS) }),
]);
const imageBlock = z.object({ type: z.literal('image'), source: imageSource, cache_control: cacheControl });
/** A document: plain text (or text blocks) is read as text; PDFs and URLs reach no provider here, and are refused. */
const documentBlock = z.object({
  type: z.literal('document'),
  source: z.discriminatedUnion('type', [
    z.object({ type: z.literal('text'), data: text, media_type: z.string().optional() }),
    z.object({ type: z.literal('content'), content: z.union([text, z.array(textBlock).max(100)]) }),
  ]),
  title: z.string().max(1000).nullish(),
  context: z.string().max(MAX_CONTENT_CHARS).nullish(),
  cache_control: cacheControl,
});
const toolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(256),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
});
const toolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1).max(256),
  content: z.union([text, z.array(z.discriminatedUnion('type', [textBlock, imageBlock])).max(100)]).optional(),
  is_error: z.boolean().nullish(),
  cache_control: cacheControl,
});
/** Thinking a client sends back: providers that keep no signed thinking of the gateway's calls get none of it. */
const thinkingBlock = z.object({ type: z.literal('thinking'), thinking: text, signature: z.string().max(MAX_CONTENT_CHARS).optional() });
const redactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string().max(MAX_CONTENT_CHARS) });

const contentBlock = z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock]);
export type MessagesContentBlock = z.infer<typeof contentBlock>;

const message = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([text, z.array(contentBlock).max(1000)]),
});
export type MessagesMessage = z.infer<typeof message>;

/** A client tool; Anthropic's server tools (`type` other than `custom`) are refused by name (see serverToolIssues). */
const tool = z.object({
  type: z.string().max(64).nullish(),
  name: z.string().min(1).max(256),
  description: z.string().max(MAX_TOOL_DESCRIPTION_CHARS).nullish(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  cache_control: cacheControl,
});
export type MessagesTool = z.infer<typeof tool>;

const toolChoice = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().nullish() }),
  z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().nullish() }),
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('tool'), name: z.string().min(1).max(256), disable_parallel_tool_use: z.boolean().nullish() }),
]);

const thinking = z.discriminatedUnion('type', [
  z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1024).max(1_000_000) }),
  z.object({ type: z.literal('disabled') }),
]);

/** What `POST /v1/messages` and `POST /v1/messages/count_tokens` share (the conversation and its tools). */
const promptShape = {
  model: z.string().min(1).max(256),
  system: z.union([text, z.array(textBlock).max(100)]).optional(),
  messages: z.array(message).min(1).max(1000),
  tools: z.array(tool).max(MAX_TOOLS).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.optional(),
};

/** Server tools (web search, code execution, bash, text editor, computer use) run at Anthropic: the gateway runs none. */
function toolIssues(request: { tools?: MessagesTool[] | undefined }, context: z.RefinementCtx) {
  for (const [index, entry] of (request.tools ?? []).entries()) {
    if (entry.type !== undefined && entry.type !== null && entry.type !== 'custom')
      context.addIssue({
        code: 'custom',
        path: ['tools', index, 'type'],
        message: `server tool ${entry.type} (${entry.name.slice(0, 64)}) is not served by this gateway (client tools only)`,
      });
  }
}

/** Body of `POST /v1/messages` (unknown fields, such as Anthropic's newer betas, are ignored). */
export const messagesRequestSchema = z
  .object({
    ...promptShape,
    max_tokens: z.number().int().min(1).max(1_000_000),
    stop_sequences: z.array(z.string().min(1).max(1000)).max(4, 'at most 4 stop sequences').optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    metadata: z.object({ user_id: z.string().max(512).nullish() }).nullish(),
    stream: z.boolean().optional(),
  })
  .superRefine(toolIssues);
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

/** Body of `POST /v1/messages/count_tokens`. */
export const countTokensRequestSchema = z.object(promptShape).superRefine(toolIssues);
export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
