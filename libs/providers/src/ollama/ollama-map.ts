import { contentText, imageParts, type ChatParams, type ToolCall, type Usage } from '@gateway/contracts';
import { newToolCallId } from '../tool-call-id';
import { toolArgumentsObject } from '../tool-arguments';
import type { ProviderChatRequest } from '../types';
import type { OllamaChat, OllamaMessage, OllamaRequest } from './ollama-wire';

function toOllamaMessages(messages: ChatParams['messages']): OllamaMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((message, index): OllamaMessage => {
    switch (message.role) {
      case 'user': {
        const images = imageParts(message.content).map((part) => part.image_url.url.slice(part.image_url.url.indexOf(',') + 1));
        return { role: 'user', content: contentText(message.content), ...(images.length > 0 ? { images } : {}) };
      }
      case 'assistant':
        for (const call of message.tool_calls ?? []) toolNames.set(call.id, call.function.name);
        return {
          role: 'assistant',
          content: contentText(message.content),
          ...(message.tool_calls
            ? {
                tool_calls: message.tool_calls.map((call) => ({
                  function: { name: call.function.name, arguments: toolArgumentsObject('ollama', call, index) },
                })),
              }
            : {}),
        };
      case 'tool':
        return {
          role: 'tool',
          content: contentText(message.content),
          ...(toolNames.has(message.tool_call_id) ? { tool_name: toolNames.get(message.tool_call_id)! } : {}),
        };
      default:
        return { role: message.role, content: contentText(message.content) };
    }
  });
}

/**
 * Our chat parameters as an `/api/chat` body: images as base64 on their message, tool calls with object
 * arguments, tool results with the tool's name, tools as they are (none under tool_choice none), response_format
 * as `format` ('json' or the schema), sampling in `options`, reasoning as `think`.
 */
export function toOllamaRequest(request: ProviderChatRequest, stream: boolean): OllamaRequest {
  const stop = request.stop === undefined ? undefined : typeof request.stop === 'string' ? [request.stop] : request.stop;
  const options = {
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.max_tokens !== undefined ? { num_predict: request.max_tokens } : {}),
    ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
    ...(request.top_k !== undefined ? { top_k: request.top_k } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    ...(stop ? { stop } : {}),
    ...(request.presence_penalty !== undefined ? { presence_penalty: request.presence_penalty } : {}),
    ...(request.frequency_penalty !== undefined ? { frequency_penalty: request.frequency_penalty } : {}),
  };
  const format = request.response_format;
  const effort = request.reasoning_effort ?? request.reasoning?.effort;
  const think =
    request.reasoning?.enabled === true || (effort !== undefined && effort !== 'none' && effort !== 'minimal') || request.reasoning?.max_tokens !== undefined;
  return {
    model: request.model,
    messages: toOllamaMessages(request.messages),
    stream,
    ...(request.tools && request.tool_choice !== 'none' ? { tools: request.tools } : {}),
    ...(format?.type === 'json_object'
      ? { format: 'json' }
      : format?.type === 'json_schema'
        ? { format: format.json_schema.schema ?? { type: 'object' } }
        : {}),
    ...(think ? { think: true } : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}

/** Ollama's tool calls (whole, object arguments, no ids) with ids and string arguments; one when parallel calls are off. */
export function fromOllamaToolCalls(answer: Pick<OllamaChat, 'message'>, parallel: boolean | undefined): ToolCall[] {
  const calls = (answer.message?.tool_calls ?? []).map((call) => ({
    id: newToolCallId(),
    type: 'function' as const,
    function: {
      name: call.function?.name ?? '',
      arguments: typeof call.function?.arguments === 'string' ? call.function.arguments : JSON.stringify(call.function?.arguments ?? {}),
    },
  }));
  return parallel === false ? calls.slice(0, 1) : calls;
}

/** Ollama counts prompt tokens in `prompt_eval_count` (absent when the prompt was cached) and output in `eval_count`. */
export function fromOllamaUsage(answer: Pick<OllamaChat, 'prompt_eval_count' | 'eval_count'>): Usage {
  const prompt = Math.max(0, Math.round(answer.prompt_eval_count ?? 0));
  const completion = Math.max(0, Math.round(answer.eval_count ?? 0));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Ollama says `stop`, `length` or `load`; an answer that called tools ends with `tool_calls`. */
export function mapOllamaFinishReason(reason: string | null | undefined, calledTools = false): string | null {
  if (calledTools) return 'tool_calls';
  return reason ?? null;
}
