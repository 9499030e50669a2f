import { toolArgumentsNotAnObject, type ProviderId, type ToolCall } from '@gateway/contracts';

/**
 * A tool call's arguments as the JSON object upstreams that take objects want (Anthropic's `input`, Ollama's
 * `arguments`); arguments that are no JSON object are the caller's error, and another provider may still serve it.
 */
export function toolArgumentsObject(provider: ProviderId, call: ToolCall, messageIndex: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw toolArgumentsNotAnObject(provider, messageIndex);
  }
  return value as Record<string, unknown>;
}
