import { GatewayError, type Usage } from '@gateway/contracts';
import type { ProviderChatRequest } from '../types';
import type { AnthropicRequest, AnthropicUsage } from './anthropic-wire';

/** Anthropic requires max_tokens; this is what a request that names none gets. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * System messages go into `system`; the rest must start with a user turn, and consecutive turns of one role
 * are joined (the Messages API wants them alternating).
 */
export function toAnthropicRequest(request: ProviderChatRequest, stream: boolean): AnthropicRequest {
  const system = request.messages.filter((message) => message.role === 'system').map((message) => message.content);
  const messages: AnthropicRequest['messages'] = [];
  for (const message of request.messages) {
    if (message.role === 'system') continue;
    const last = messages.at(-1);
    if (last && last.role === message.role) last.content = `${last.content}\n\n${message.content}`;
    else messages.push({ role: message.role, content: message.content });
  }
  if (messages.length === 0) throw new GatewayError('invalid_request', 'anthropic needs at least one user or assistant message', { retryable: false });
  if (messages[0]!.role !== 'user') messages.unshift({ role: 'user', content: '(continue)' });
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    messages,
    ...(request.temperature !== undefined ? { temperature: Math.min(request.temperature, 1) } : {}),
    ...(stream ? { stream: true } : {}),
  };
}

export function fromAnthropicUsage(input: AnthropicUsage | null | undefined, output: AnthropicUsage | null | undefined = input): Usage {
  const prompt = Math.max(0, Math.round(input?.input_tokens ?? 0));
  const completion = Math.max(0, Math.round(output?.output_tokens ?? 0));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Anthropic's stop reasons in the chat completions vocabulary. */
export function mapAnthropicStopReason(reason: string | null | undefined): string | null {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    default:
      return reason ?? null;
  }
}

/** An `error` object (body or event): invalid_request_error and not_found_error are the caller's; the rest fail over. */
export function anthropicError(error: { type?: string | null; message?: string | null }): GatewayError {
  const message = `anthropic reported ${error.type ?? 'an error'}: ${error.message ?? 'no message'}`;
  if (error.type === 'invalid_request_error' || error.type === 'not_found_error') return new GatewayError('invalid_request', message, { retryable: false });
  return new GatewayError('upstream_error', message, { retryable: true });
}
