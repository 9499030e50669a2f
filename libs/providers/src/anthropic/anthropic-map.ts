import {
  contentText,
  GatewayError,
  noConversationTurn,
  upstreamRefusedRequest,
  upstreamReportedError,
  type CacheControl,
  type ChatMessage,
  type ChatParams,
  type ReasoningBlock,
  type ToolCall,
  type Usage,
} from '@gateway/contracts';
import { newToolCallId } from '../tool-call-id';
import { toolArgumentsObject } from '../tool-arguments';
import type { ProviderChatRequest } from '../types';
import type { AnthropicAnswerBlock, AnthropicBlock, AnthropicMessage, AnthropicRequest, AnthropicToolChoice, AnthropicUsage } from './anthropic-wire';

/** Anthropic requires max_tokens; this is what a request that names none gets. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/** Extended thinking's smallest budget (Anthropic's minimum). */
const MIN_THINKING_BUDGET = 1024;
const thinkingBudgetByEffort: Record<string, number> = { low: 1024, medium: 4096, high: 16384, xhigh: 32768 };

/** A part's caching breakpoint, as Anthropic takes it (none: nothing added). */
const cacheOf = (part: { cache_control?: CacheControl | undefined }) => (part.cache_control ? { cache_control: part.cache_control } : {});

/** A tool message's breakpoint: the one of any of its parts (its tool_result block takes it). */
const toolResultCache = (content: ChatMessage['content']) =>
  content !== null && typeof content !== 'string' ? cacheOf(content.find((part) => part.cache_control !== undefined) ?? {}) : {};

/** A reasoning block as Anthropic takes it back: signed thinking, or redacted thinking (unsigned text is not kept). */
function thinkingBlock(block: ReasoningBlock): AnthropicBlock[] {
  if (block.redacted !== undefined) return [{ type: 'redacted_thinking', data: block.redacted }];
  if (block.signature !== undefined) return [{ type: 'thinking', thinking: block.text ?? '', signature: block.signature }];
  return [];
}

/** An answer's thinking and redacted_thinking blocks as reasoning blocks. */
export function fromAnthropicThinking(blocks: readonly AnthropicAnswerBlock[]): ReasoningBlock[] {
  return blocks.flatMap((block): ReasoningBlock[] => {
    if (block.type === 'thinking') return [{ text: block.thinking ?? '', ...(block.signature ? { signature: block.signature } : {}) }];
    if (block.type === 'redacted_thinking' && block.data) return [{ redacted: block.data }];
    return [];
  });
}

function imageBlock(url: string): AnthropicBlock {
  if (!url.startsWith('data:')) return { type: 'image', source: { type: 'url', url } };
  const comma = url.indexOf(',');
  const mediaType = url.slice('data:'.length, url.indexOf(';'));
  return { type: 'image', source: { type: 'base64', media_type: mediaType.toLowerCase(), data: url.slice(comma + 1).replace(/\s+/g, '') } };
}

/** One message of ours as an Anthropic turn (system messages are taken out before). */
function toTurn(message: Exclude<ChatMessage, { role: 'system' }>, index: number): AnthropicMessage {
  switch (message.role) {
    case 'user':
      if (typeof message.content === 'string') return { role: 'user', content: message.content };
      return {
        role: 'user',
        content: message.content.map((part): AnthropicBlock => ({
          ...(part.type === 'text' ? { type: 'text', text: part.text } : imageBlock(part.image_url.url)),
          ...cacheOf(part),
        })),
      };
    case 'assistant': {
      const text = contentText(message.content);
      const cached = toolResultCache(message.content);
      const reasoning = (message.reasoning_blocks ?? []).flatMap(thinkingBlock);
      if (!message.tool_calls && !cached.cache_control && reasoning.length === 0) return { role: 'assistant', content: text };
      const blocks: AnthropicBlock[] = [...reasoning, ...(text === '' ? [] : [{ type: 'text' as const, text, ...cached }])];
      for (const call of message.tool_calls ?? [])
        blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolArgumentsObject('anthropic', call, index) });
      return { role: 'assistant', content: blocks };
    }
    case 'tool':
      return {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: contentText(message.content), ...toolResultCache(message.content) }],
      };
  }
}

const asBlocks = (content: AnthropicMessage['content']): AnthropicBlock[] =>
  typeof content === 'string' ? (content === '' ? [] : [{ type: 'text', text: content }]) : content;

/**
 * Consecutive turns of one role are joined (the Messages API wants them alternating): text with text as one
 * string, anything else as blocks, with a user turn's tool_result blocks first (as Anthropic requires, right
 * after the assistant turn whose tool_use they answer).
 */
function joinTurns(turns: readonly AnthropicMessage[]): AnthropicMessage[] {
  const joined: AnthropicMessage[] = [];
  for (const turn of turns) {
    const last = joined.at(-1);
    if (!last || last.role !== turn.role) {
      joined.push({ ...turn });
      continue;
    }
    if (typeof last.content === 'string' && typeof turn.content === 'string') {
      last.content = `${last.content}\n\n${turn.content}`;
      continue;
    }
    const blocks = [...asBlocks(last.content), ...asBlocks(turn.content)];
    last.content = [...blocks.filter((block) => block.type === 'tool_result'), ...blocks.filter((block) => block.type !== 'tool_result')];
  }
  return joined;
}

function toToolChoice(request: ChatParams): AnthropicToolChoice | undefined {
  const choice = request.tool_choice;
  let mapped: AnthropicToolChoice | undefined;
  if (choice === 'auto') mapped = { type: 'auto' };
  else if (choice === 'required') mapped = { type: 'any' };
  else if (choice === 'none') mapped = { type: 'none' };
  else if (choice !== undefined) mapped = { type: 'tool', name: choice.function.name };
  if (request.parallel_tool_calls === false && request.tools && choice !== 'none') return { ...(mapped ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return mapped;
}

/** The thinking budget a request asks for (reasoning_effort or OpenRouter's reasoning object), or undefined. */
function thinkingBudget(request: ChatParams): number | undefined {
  if (request.reasoning?.enabled === false) return undefined;
  if (request.reasoning?.max_tokens !== undefined) return Math.max(MIN_THINKING_BUDGET, request.reasoning.max_tokens);
  const effort = request.reasoning_effort ?? request.reasoning?.effort ?? (request.reasoning?.enabled ? 'medium' : undefined);
  return effort === undefined ? undefined : thinkingBudgetByEffort[effort];
}

/**
 * The system messages as `system`: one string, or text blocks when a part carries a caching breakpoint (the
 * breakpoints kept where they were).
 */
function systemOf(messages: readonly ChatMessage[]): AnthropicRequest['system'] {
  const system = messages.filter((message) => message.role === 'system');
  if (system.length === 0) return undefined;
  const cached = system.some((message) => typeof message.content !== 'string' && message.content.some((part) => part.cache_control !== undefined));
  if (!cached) return system.map((message) => contentText(message.content)).join('\n\n');
  return system.flatMap((message) =>
    typeof message.content === 'string'
      ? [{ type: 'text' as const, text: message.content }]
      : message.content.map((part) => ({ type: 'text' as const, text: part.text, ...cacheOf(part) })),
  );
}

/**
 * Our chat parameters as a Messages API body: system messages in `system`; images as image blocks (base64 or
 * URL); assistant tool calls as `tool_use` blocks and tool messages as `tool_result` blocks of the next user turn;
 * tools with `input_schema`; tool_choice auto/any/tool/none (parallel_tool_calls false: disable_parallel_tool_use);
 * stop as stop_sequences; reasoning as extended thinking (which takes no temperature or top_p); user as
 * metadata.user_id. The conversation starts with a user turn.
 */
export function toAnthropicRequest(request: ProviderChatRequest, stream: boolean): AnthropicRequest {
  const system = systemOf(request.messages);
  const turns = joinTurns(request.messages.flatMap((message, index) => (message.role === 'system' ? [] : [toTurn(message, index)])));
  if (turns.length === 0) throw noConversationTurn('anthropic');
  if (turns[0]!.role !== 'user') turns.unshift({ role: 'user', content: '(continue)' });
  const budget = thinkingBudget(request);
  const maxTokens = request.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
  const toolChoice = toToolChoice(request);
  const stop = request.stop === undefined ? undefined : typeof request.stop === 'string' ? [request.stop] : request.stop;
  return {
    model: request.model,
    // Thinking counts against max_tokens, which must exceed its budget.
    max_tokens: budget === undefined ? maxTokens : Math.max(maxTokens, budget + MIN_THINKING_BUDGET),
    ...(system !== undefined ? { system } : {}),
    messages: turns,
    ...(budget === undefined && request.temperature !== undefined ? { temperature: Math.min(request.temperature, 1) } : {}),
    ...(budget === undefined && request.top_p !== undefined ? { top_p: request.top_p } : {}),
    ...(budget === undefined && request.top_k !== undefined ? { top_k: request.top_k } : {}),
    ...(stop && stop.length > 0 ? { stop_sequences: stop } : {}),
    ...(request.tools
      ? {
          tools: request.tools.map((tool) => ({
            name: tool.function.name,
            ...(tool.function.description ? { description: tool.function.description } : {}),
            input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
            ...cacheOf(tool),
          })),
        }
      : {}),
    ...(toolChoice ? { tool_choice: toolChoice } : {}),
    ...(budget !== undefined ? { thinking: { type: 'enabled' as const, budget_tokens: budget } } : {}),
    ...(request.user ? { metadata: { user_id: request.user } } : {}),
    ...(stream ? { stream: true } : {}),
  };
}

/** Anthropic's input tokens exclude cache reads and writes; OpenAI's prompt_tokens include them. */
export function fromAnthropicUsage(input: AnthropicUsage | null | undefined, output: AnthropicUsage | null | undefined = input): Usage {
  const count = (value: number | null | undefined) => Math.max(0, Math.round(value ?? 0));
  const cached = input?.cache_read_input_tokens;
  const written = input?.cache_creation_input_tokens;
  const prompt = count(input?.input_tokens) + count(cached) + count(written);
  const completion = count(output?.output_tokens);
  const known = (value: number | null | undefined) => value !== undefined && value !== null;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(known(cached) || known(written)
      ? { prompt_tokens_details: { cached_tokens: count(cached), ...(known(written) ? { cache_write_tokens: count(written) } : {}) } }
      : {}),
  };
}

/** An answer's `tool_use` blocks as tool calls (input as JSON text). */
export function fromAnthropicToolUses(blocks: readonly AnthropicAnswerBlock[]): ToolCall[] {
  return blocks
    .filter((block) => block.type === 'tool_use')
    .map((block) => ({
      id: block.id || newToolCallId(),
      type: 'function',
      function: { name: block.name ?? '', arguments: JSON.stringify(block.input ?? {}) },
    }));
}

/** Anthropic's stop reasons in the chat completions vocabulary. */
export function mapAnthropicStopReason(reason: string | null | undefined): string | null {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return reason ?? null;
  }
}

/** An `error` object (body or event): invalid_request_error and not_found_error are the caller's; the rest fail over. */
export function anthropicError(error: { type?: string | null; message?: string | null }): GatewayError {
  const message = `anthropic reported ${error.type ?? 'an error'}: ${error.message ?? 'no message'}`;
  if (error.type === 'invalid_request_error' || error.type === 'not_found_error') return upstreamRefusedRequest(message);
  return upstreamReportedError(message);
}
