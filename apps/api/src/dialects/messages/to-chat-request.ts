import {
  invalidRequest,
  type ChatMessage,
  type ChatRequest,
  type ContentPart,
  type FunctionTool,
  type ReasoningBlock,
  type TextPart,
  type ToolChoice,
} from '@gateway/contracts';
import type { CountTokensRequest, MessagesContentBlock, MessagesMessage, MessagesRequest, MessagesTool } from './messages-wire';

type Block<T extends MessagesContentBlock['type']> = Extract<MessagesContentBlock, { type: T }>;
type Marked = { cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' | undefined } | null | undefined };

/** A block's caching breakpoint, in the internal form (none: nothing). */
const cacheOf = (block: Marked) => (block.cache_control ? { cache_control: block.cache_control } : {});

function textPart(text: string, block: Marked): TextPart {
  return { type: 'text', text, ...cacheOf(block) };
}

function imagePart(block: Block<'image'>): ContentPart {
  const url = block.source.type === 'base64' ? `data:${block.source.media_type};base64,${block.source.data}` : block.source.url;
  return { type: 'image_url', image_url: { url }, ...cacheOf(block) };
}

/** A text document as text, titled and with its context as Anthropic gives them to the model. */
function documentPart(block: Block<'document'>): TextPart {
  const source = block.source;
  const body = source.type === 'text' ? source.data : typeof source.content === 'string' ? source.content : source.content.map((part) => part.text).join('\n');
  const heading = [block.title, block.context].filter((line): line is string => typeof line === 'string' && line !== '').join('\n');
  return textPart(heading === '' ? body : `${heading}\n\n${body}`, block);
}

/** Text parts as a string when none carries a breakpoint (the lighter form every provider takes), else as parts. */
function textContent(parts: TextPart[]): string | TextPart[] {
  return parts.some((part) => part.cache_control !== undefined) ? parts : parts.map((part) => part.text).join('');
}

/** A tool_result as a tool message; its images go to the user message after it (tool messages carry text only). */
function toolResult(block: Block<'tool_result'>, images: ContentPart[]): ChatMessage {
  const content = block.content ?? '';
  const parts: TextPart[] = [];
  if (typeof content === 'string') parts.push({ type: 'text', text: content });
  else
    for (const part of content) {
      if (part.type === 'text') parts.push({ type: 'text', text: part.text, ...cacheOf(part) });
      else images.push(imagePart(part));
    }
  // Providers without an error flag on tool results read it in the text, as the model would be told.
  if (block.is_error) parts.unshift({ type: 'text', text: 'Error: ' });
  if (block.cache_control && parts.length > 0) parts[parts.length - 1] = { ...parts.at(-1)!, ...cacheOf(block) };
  if (parts.length === 0) parts.push(textPart('', block));
  return { role: 'tool', tool_call_id: block.tool_use_id, content: textContent(parts) };
}

/** One user turn: its tool results first (as tool messages), then its other blocks as one user message. */
function userMessages(content: MessagesMessage['content']): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const tools: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  for (const block of content) {
    if (block.type === 'tool_result') tools.push(toolResult(block, parts));
    else if (block.type === 'text') parts.push(textPart(block.text, block));
    else if (block.type === 'image') parts.push(imagePart(block));
    else if (block.type === 'document') parts.push(documentPart(block));
    // tool_use, thinking: an assistant's blocks, not a user's; nothing of them reaches a provider.
  }
  if (parts.length === 0) return tools;
  const plain = parts.every((part) => part.type === 'text' && part.cache_control === undefined);
  return [...tools, { role: 'user', content: plain ? parts.map((part) => (part.type === 'text' ? part.text : '')).join('') : parts }];
}

/**
 * One assistant turn: its text, its tool_use blocks as tool calls, and its thinking blocks as reasoning blocks
 * (passed back to the providers that sign them).
 */
function assistantMessage(content: MessagesMessage['content']): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  const texts: TextPart[] = [];
  const calls = [];
  const reasoning: ReasoningBlock[] = [];
  for (const block of content) {
    if (block.type === 'thinking') reasoning.push({ text: block.thinking, ...(block.signature ? { signature: block.signature } : {}) });
    else if (block.type === 'redacted_thinking') reasoning.push({ redacted: block.data });
    else if (block.type === 'text') texts.push(textPart(block.text, block));
    else if (block.type === 'tool_use')
      calls.push({ id: block.id, type: 'function' as const, function: { name: block.name, arguments: JSON.stringify(block.input) } });
  }
  return {
    role: 'assistant',
    content: texts.length === 0 ? null : textContent(texts),
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
    ...(reasoning.length > 0 ? { reasoning_blocks: reasoning } : {}),
  };
}

/** The conversation of a Messages body: `system` first, then each turn (a user turn may become several messages). */
export function toChatMessages(request: Pick<CountTokensRequest, 'system' | 'messages'>): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (typeof request.system === 'string' && request.system !== '') messages.push({ role: 'system', content: request.system });
  else if (Array.isArray(request.system) && request.system.length > 0)
    messages.push({ role: 'system', content: textContent(request.system.map((block) => textPart(block.text, block))) });
  for (const turn of request.messages) {
    if (turn.role === 'user') messages.push(...userMessages(turn.content));
    else messages.push(assistantMessage(turn.content));
  }
  return messages;
}

export function toFunctionTools(tools: readonly MessagesTool[]): FunctionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.input_schema ?? { type: 'object', properties: {} },
    },
    ...cacheOf(tool),
  }));
}

function toToolChoice(choice: MessagesRequest['tool_choice']): ToolChoice | undefined {
  switch (choice?.type) {
    case undefined:
      return undefined;
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
  }
}

/**
 * What the internal request would refuse under its own field names, refused under the Messages API's: a tool_result
 * that answers no tool_use of an assistant turn before it, a tool_choice naming no tool.
 */
function checkToolUse(request: MessagesRequest): void {
  const used = new Set<string>();
  request.messages.forEach((turn, index) => {
    if (typeof turn.content === 'string') return;
    turn.content.forEach((block, part) => {
      if (turn.role === 'assistant' && block.type === 'tool_use') used.add(block.id);
      if (turn.role === 'user' && block.type === 'tool_result' && !used.has(block.tool_use_id)) {
        throw invalidRequest(`messages.${index}.content.${part}.tool_use_id: answers no tool_use before it (no id ${block.tool_use_id.slice(0, 64)})`);
      }
    });
  });
  const choice = request.tool_choice;
  if (choice?.type === 'tool' && !(request.tools ?? []).some((tool) => tool.name === choice.name)) {
    throw invalidRequest(`tool_choice.name: no tool named ${choice.name.slice(0, 64)} in tools`);
  }
}

/**
 * The internal chat request of a Messages body: `stop_sequences` as stop, `thinking` as a reasoning budget, `disable_parallel_tool_use` as parallel_tool_calls false, `metadata.user_id` as the end user
 * (the agent is the X-Agent-Id header). Caching breakpoints stay on the parts and tools they mark.
 */
export function toChatRequest(request: MessagesRequest, agentHeader: string | undefined): ChatRequest {
  checkToolUse(request);
  const choice = request.tool_choice;
  const userId = request.metadata?.user_id;
  return {
    ...(agentHeader !== undefined ? { agent_id: agentHeader } : {}),
    model: request.model,
    messages: toChatMessages(request),
    max_tokens: request.max_tokens,
    ...(request.tools && request.tools.length > 0 ? { tools: toFunctionTools(request.tools) } : {}),
    ...(choice !== undefined ? { tool_choice: toToolChoice(choice) } : {}),
    ...(choice !== undefined && choice.type !== 'none' && choice.disable_parallel_tool_use ? { parallel_tool_calls: false } : {}),
    ...(request.stop_sequences && request.stop_sequences.length > 0 ? { stop: request.stop_sequences } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
    ...(request.top_k !== undefined ? { top_k: request.top_k } : {}),
    ...(request.thinking?.type === 'enabled' ? { reasoning: { max_tokens: request.thinking.budget_tokens } } : {}),
    ...(typeof userId === 'string' && userId !== '' && userId.length <= 256 ? { user: userId } : {}),
  };
}
