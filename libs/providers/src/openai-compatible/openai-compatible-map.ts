import type { ReasoningDelta, ToolCall, ToolCallDelta, Usage } from '@gateway/contracts';
import { newToolCallId } from '../tool-call-id';
import type { ProviderChatRequest } from '../types';
import type { OpenAiChunk, OpenAiReasoningDetail, OpenAiRequest, OpenAiResponse, OpenAiUsage } from './openai-compatible-wire';

/**
 * The chat parameters pass through as they are (our representation is OpenAI's); `metadata` stays with the
 * gateway (OpenAI keeps it only for stored completions, others reject it).
 */
export function toOpenAiRequest(request: ProviderChatRequest, stream: boolean, passReasoning = false): OpenAiRequest {
  const { metadata: _metadata, ...params } = request;
  return {
    ...params,
    messages: withReasoningDetails(params.messages, passReasoning),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/**
 * Reasoning blocks passed back (signed thinking): as OpenRouter's `reasoning_details` on their assistant message
 * where the upstream takes them (`pass`), else left out of the wire.
 */
function withReasoningDetails(messages: ProviderChatRequest['messages'], pass: boolean): ProviderChatRequest['messages'] {
  if (!messages.some((message) => message.role === 'assistant' && message.reasoning_blocks !== undefined)) return messages;
  return messages.map((message) => {
    if (message.role !== 'assistant' || message.reasoning_blocks === undefined) return message;
    const { reasoning_blocks: blocks, ...rest } = message;
    if (!pass) return rest;
    const details = blocks.map((block, index) =>
      block.redacted !== undefined
        ? { type: 'reasoning.encrypted', data: block.redacted, index }
        : { type: 'reasoning.text', text: block.text ?? '', ...(block.signature !== undefined ? { signature: block.signature } : {}), index },
    );
    return { ...rest, reasoning_details: details } as typeof rest;
  });
}

/** One of OpenRouter's reasoning items as a reasoning fragment (an item without an index belongs to `fallbackIndex`). */
export function fromReasoningDetail(detail: OpenAiReasoningDetail, fallbackIndex: number): ReasoningDelta | undefined {
  const index = detail.index ?? fallbackIndex;
  if (detail.type === 'reasoning.encrypted' && detail.data) return { index, redacted: detail.data };
  if (detail.type !== 'reasoning.text' || (!detail.text && !detail.signature)) return undefined;
  return { index, ...(detail.text ? { text: detail.text } : {}), ...(detail.signature ? { signature: detail.signature } : {}) };
}

type Parted = { cache_control?: unknown };

/** A part or tool without its caching breakpoint (the same object when it has none). */
function unmarked<T extends Parted>(item: T): T {
  if (item.cache_control === undefined) return item;
  const { cache_control: _cacheControl, ...rest } = item;
  return rest as T;
}

/**
 * The body without caching breakpoints where the upstream takes none: on tools always (OpenRouter reads them on
 * content parts only), on content parts too unless `keepParts` (OpenRouter passes them on to the models that cache).
 * A body that carries none is returned as it is.
 */
export function withoutCacheControl(body: OpenAiRequest, keepParts: boolean): OpenAiRequest {
  const tools = body.tools?.some((tool) => tool.cache_control !== undefined) ? body.tools.map(unmarked) : body.tools;
  const marked = (message: OpenAiRequest['messages'][number]) =>
    Array.isArray(message.content) && (message.content as Parted[]).some((part) => part.cache_control !== undefined);
  const messages =
    keepParts || !body.messages.some(marked)
      ? body.messages
      : body.messages.map((message) => (marked(message) ? ({ ...message, content: (message.content as Parted[]).map(unmarked) } as typeof message) : message));
  return tools === body.tools && messages === body.messages ? body : { ...body, messages, ...(tools ? { tools } : {}) };
}

export function fromOpenAiUsage(usage: OpenAiUsage | null | undefined): Usage {
  const count = (value: number | null | undefined) => Math.max(0, Math.round(value ?? 0));
  const prompt = count(usage?.prompt_tokens);
  const completion = count(usage?.completion_tokens);
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  const written = usage?.prompt_tokens_details?.cache_write_tokens;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage?.total_tokens !== undefined && usage.total_tokens !== null ? count(usage.total_tokens) : prompt + completion,
    ...((cached ?? written ?? undefined) !== undefined
      ? {
          prompt_tokens_details: { cached_tokens: count(cached), ...(written !== undefined && written !== null ? { cache_write_tokens: count(written) } : {}) },
        }
      : {}),
    ...(reasoning !== undefined && reasoning !== null ? { completion_tokens_details: { reasoning_tokens: count(reasoning) } } : {}),
  };
}

type WireMessage = NonNullable<NonNullable<NonNullable<OpenAiResponse['choices']>[number]['message']>>;

/** An answer's tool calls with ids and string arguments, whatever the upstream left out. */
export function fromOpenAiToolCalls(message: WireMessage | undefined | null): ToolCall[] {
  return (message?.tool_calls ?? []).map((call) => ({
    id: call.id || newToolCallId(),
    type: 'function',
    function: { name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' },
  }));
}

type WireDelta = NonNullable<NonNullable<NonNullable<OpenAiChunk['choices']>[number]['delta']>['tool_calls']>[number];

/** One streamed tool-call fragment; a fragment without an index belongs to the call at `fallbackIndex`. */
export function fromOpenAiToolCallDelta(delta: WireDelta, fallbackIndex: number): ToolCallDelta {
  return {
    index: delta.index ?? fallbackIndex,
    ...(delta.id ? { id: delta.id } : {}),
    ...(delta.function?.name ? { name: delta.function.name } : {}),
    arguments: delta.function?.arguments ?? '',
  };
}

/** OpenRouter reports a numeric HTTP-like code in `error.code`; 400-class codes are the caller's request. */
export function isInvalidRequestCode(code: number | string | null | undefined): boolean {
  const numeric = typeof code === 'number' ? code : Number(code);
  return numeric === 400 || numeric === 404 || numeric === 422;
}
