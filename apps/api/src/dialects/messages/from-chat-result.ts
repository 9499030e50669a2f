import type { ChatJobResult, ToolCall, Usage } from '@gateway/contracts';

/** Anthropic's stop reasons for the internal (OpenAI's) finish reasons. */
export function toStopReason(finishReason: string | null): 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal' | 'pause_turn' {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/**
 * Anthropic's usage: its `input_tokens` leave out the tokens read from the cache and written to it, which it
 * counts apart (the internal prompt_tokens include both).
 */
export function toMessagesUsage(usage: Usage) {
  const read = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.prompt_tokens - read - written),
    output_tokens: usage.completion_tokens,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: read,
  };
}

/** A tool call's arguments as tool_use `input` (an object; arguments that are no JSON object are kept under `arguments`). */
export function toolInput(call: Pick<ToolCall['function'], 'arguments'>): Record<string, unknown> {
  try {
    const input: unknown = JSON.parse(call.arguments === '' ? '{}' : call.arguments);
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) return input as Record<string, unknown>;
  } catch {
    // Not JSON: kept as text below.
  }
  return { arguments: call.arguments };
}

/** A job's result as Anthropic's Message (plus the gateway's `provider` and `cost_usd`). */
export function toMessage(id: string, answer: ChatJobResult) {
  const content: unknown[] = [];
  for (const block of answer.reasoning_blocks ?? [])
    content.push(
      block.redacted !== undefined
        ? { type: 'redacted_thinking', data: block.redacted }
        : { type: 'thinking', thinking: block.text ?? '', signature: block.signature ?? '' },
    );
  if (answer.content !== '') content.push({ type: 'text', text: answer.content });
  for (const call of answer.tool_calls ?? []) content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function) });
  return {
    id,
    type: 'message' as const,
    role: 'assistant' as const,
    model: answer.model,
    content,
    stop_reason: toStopReason(answer.finish_reason),
    stop_sequence: null,
    usage: toMessagesUsage(answer.usage),
    provider: answer.provider,
    cost_usd: answer.cost_usd,
  };
}
