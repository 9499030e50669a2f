import { z } from 'zod';

/** Largest message content we accept, in characters; bodies are also capped in bytes by the HTTP layer. */
export const MAX_CONTENT_CHARS = 1_000_000;
/** Largest image URL (a `data:` URI holds the image itself); the body limit caps the total. */
export const MAX_IMAGE_URL_CHARS = 20 * 1024 * 1024;
/** Content parts of one message. */
export const MAX_CONTENT_PARTS = 100;
/** Tool calls of one assistant message (OpenAI caps tools at 128). */
export const MAX_TOOL_CALLS = 128;

/**
 * A prompt-caching breakpoint on a part (or a tool): the prompt up to and including it may be cached by providers
 * that cache on request (Anthropic, and OpenRouter for the models that take it); others ignore it.
 */
export const cacheControlSchema = z.object({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() });
export type CacheControl = z.infer<typeof cacheControlSchema>;

export const textPartSchema = z.object({ type: z.literal('text'), text: z.string().max(MAX_CONTENT_CHARS), cache_control: cacheControlSchema.optional() });
export type TextPart = z.infer<typeof textPartSchema>;

const dataImageUri = /^data:image\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]*$/i;

/** An http(s) URL, or a `data:image/<type>;base64,…` URI. */
export function isImageUrl(url: string): boolean {
  if (url.startsWith('data:')) return dataImageUri.test(url.slice(0, 200)) && /^[A-Za-z0-9+/=\s]*$/.test(url.slice(url.indexOf(',') + 1));
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

export const imageUrlPartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({
    url: z.string().max(MAX_IMAGE_URL_CHARS).refine(isImageUrl, 'must be an http(s) URL or a data:image/<type>;base64,… URI'),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
  cache_control: cacheControlSchema.optional(),
});
export type ImageUrlPart = z.infer<typeof imageUrlPartSchema>;

export const contentPartSchema = z.discriminatedUnion('type', [textPartSchema, imageUrlPartSchema]);
export type ContentPart = z.infer<typeof contentPartSchema>;

const textContentSchema = z.union([z.string().max(MAX_CONTENT_CHARS), z.array(textPartSchema).max(MAX_CONTENT_PARTS)]);
const nameSchema = z.string().min(1).max(256).optional();

/** A tool call as OpenAI returns it (and as an assistant message carries it back). */
export const toolCallSchema = z.object({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1).max(256), arguments: z.string().max(MAX_CONTENT_CHARS) }),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

/**
 * A block of a model's reasoning, as a provider that signs it wants it back in a later turn: its text and signature
 * (Anthropic's `thinking`), or an encrypted block (`redacted`: Anthropic's `redacted_thinking` data).
 */
export const reasoningBlockSchema = z.object({
  text: z.string().max(MAX_CONTENT_CHARS).optional(),
  signature: z.string().max(MAX_CONTENT_CHARS).optional(),
  redacted: z.string().max(MAX_CONTENT_CHARS).optional(),
});
export type ReasoningBlock = z.infer<typeof reasoningBlockSchema>;

const systemMessageSchema = z.object({ role: z.enum(['system', 'developer']), content: textContentSchema, name: nameSchema });

const userMessageSchema = z.object({
  role: z.literal('user'),
  content: z.union([z.string().max(MAX_CONTENT_CHARS), z.array(contentPartSchema).min(1).max(MAX_CONTENT_PARTS)]),
  name: nameSchema,
});

const assistantMessageSchema = z.object({
  role: z.literal('assistant'),
  content: textContentSchema.nullish(),
  tool_calls: z.array(toolCallSchema).max(MAX_TOOL_CALLS).optional(),
  name: nameSchema,
  /** The reasoning the model gave before this turn's content, passed back to the providers that need it. */
  reasoning_blocks: z.array(reasoningBlockSchema).max(MAX_CONTENT_PARTS).optional(),
});

const toolMessageSchema = z.object({
  role: z.literal('tool'),
  tool_call_id: z.string().min(1).max(256),
  content: textContentSchema,
});

type WireMessage =
  z.infer<typeof systemMessageSchema> | z.infer<typeof userMessageSchema> | z.infer<typeof assistantMessageSchema> | z.infer<typeof toolMessageSchema>;

/**
 * One representation for every provider: `developer` (OpenAI's newer name for the system role) is `system`; an
 * assistant message's absent content is null, and an empty tool_calls array is no tool calls.
 */
function normaliseMessage(message: WireMessage) {
  switch (message.role) {
    case 'developer':
    case 'system':
      return { ...message, role: 'system' as const };
    case 'assistant': {
      const { content, tool_calls: toolCalls, ...rest } = message;
      return { ...rest, content: content ?? null, ...(toolCalls && toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
    }
    default:
      return message;
  }
}

/**
 * One message of a conversation, in the one representation every route and provider adapter uses (OpenAI's
 * chat shape, normalised by normaliseMessage). Unknown fields are dropped; errors name the field
 * (`messages.3.tool_call_id`).
 */
export const chatMessageSchema = z
  .discriminatedUnion('role', [systemMessageSchema, userMessageSchema, assistantMessageSchema, toolMessageSchema])
  .transform(normaliseMessage);
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatRole = ChatMessage['role'];

/** The text of a message's content (parts joined; images and null give nothing). */
export function contentText(content: ChatMessage['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

/** The image parts of a message's content. */
export function imageParts(content: ChatMessage['content']): ImageUrlPart[] {
  if (content === null || typeof content === 'string') return [];
  const images: ImageUrlPart[] = [];
  for (const part of content) if (part.type === 'image_url') images.push(part);
  return images;
}
