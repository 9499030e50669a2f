import { upstreamFailure } from '@gateway/contracts';
import { createHttpClient, type HttpClient } from '../http/http-client';
import { createServerSentEventFeed, type ServerSentEvent } from '../http/sse-parser';
import { readStreamedAnswer } from '../http/stream-reader';
import { streamFailure } from '../http/upstream-error';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest, ProviderChatResult } from '../types';
import { anthropicError, fromAnthropicThinking, fromAnthropicToolUses, fromAnthropicUsage, mapAnthropicStopReason, toAnthropicRequest } from './anthropic-map';
import { anthropicErrorSchema, anthropicEventSchema, anthropicMessageSchema, type AnthropicEvent, type AnthropicUsage } from './anthropic-wire';
import { newToolCallId } from '../tool-call-id';

/** The Messages API version we speak. */
export const ANTHROPIC_VERSION = '2023-06-01';

export interface AnthropicOptions {
  /** e.g. https://api.anthropic.com (the adapter adds /v1/messages). */
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  http?: HttpClient;
}

function parseEvent(data: string): AnthropicEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    throw upstreamFailure('anthropic', 'stream event is not valid JSON', error);
  }
  const parsed = anthropicEventSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  // Event types we do not know (content_block_stop, future ones) are skipped; a known one of the wrong shape is not.
  const type = (json as { type?: unknown } | null)?.type;
  if (
    typeof type === 'string' &&
    !['message_start', 'content_block_start', 'content_block_delta', 'message_delta', 'message_stop', 'ping', 'error'].includes(type)
  )
    return undefined;
  throw upstreamFailure('anthropic', `stream event ${String(type)} does not have the expected shape`);
}

/** Deprecated: route Claude models through OpenRouter instead. Messages API with `x-api-key` and `anthropic-version`. */
export function createAnthropicAdapter(options: AnthropicOptions): ProviderAdapter {
  const http = options.http ?? createHttpClient({ provider: 'anthropic', timeoutMs: options.timeoutMs });
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/messages`;
  const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION, ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}) };

  return {
    id: 'anthropic',
    async chat(request: ProviderChatRequest, signal: AbortSignal): Promise<ProviderChatResult> {
      const response = await http.postJson(url, headers, toAnthropicRequest(request, false), signal);
      const json = await http.readJson(response);
      const error = anthropicErrorSchema.safeParse(json);
      if (error.success) throw anthropicError(error.data.error);
      const parsed = anthropicMessageSchema.safeParse(json);
      if (!parsed.success) throw upstreamFailure('anthropic', 'answer does not have the Messages API shape');
      const answer = parsed.data;
      const reasoningBlocks = fromAnthropicThinking(answer.content);
      return {
        content: answer.content.map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join(''),
        toolCalls: fromAnthropicToolUses(answer.content),
        model: answer.model ?? request.model,
        usage: fromAnthropicUsage(answer.usage),
        costUsd: null,
        finishReason: mapAnthropicStopReason(answer.stop_reason),
        ...(reasoningBlocks.length > 0 ? { reasoningBlocks } : {}),
      };
    },

    chatStream(request: ProviderChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamPart> {
      let model = request.model;
      let inputUsage: AnthropicUsage = {};
      let outputUsage: AnthropicUsage = {};
      /** Tool-call numbers (0, 1, …) of the stream's tool_use blocks, by content block index. */
      const toolIndexes = new Map<number, number>();
      /** Reasoning block numbers (0, 1, …) of the stream's thinking blocks, by content block index. */
      const reasoningIndexes = new Map<number, number>();
      let stopReason: string | null | undefined;
      const open = () => http.postJson(url, { ...headers, accept: 'text/event-stream' }, toAnthropicRequest(request, true), signal, { stream: true });
      return readStreamedAnswer<ServerSentEvent>(open, {
        split: (onEvent) => createServerSentEventFeed(onEvent),
        accept(event, parts) {
          const parsed = parseEvent(event.data);
          if (!parsed) return false;
          switch (parsed.type) {
            case 'message_start':
              model = parsed.message.model ?? model;
              inputUsage = { ...parsed.message.usage };
              break;
            case 'content_block_start':
              if (parsed.content_block.type === 'thinking' || parsed.content_block.type === 'redacted_thinking') {
                const index = reasoningIndexes.size;
                reasoningIndexes.set(parsed.index, index);
                if (parsed.content_block.type === 'redacted_thinking')
                  parts.push({ type: 'reasoning-delta', delta: { index, redacted: parsed.content_block.data ?? '' } });
              } else if (parsed.content_block.type === 'tool_use') {
                const index = toolIndexes.size;
                toolIndexes.set(parsed.index, index);
                parts.push({
                  type: 'tool-call-delta',
                  delta: { index, id: parsed.content_block.id || newToolCallId(), name: parsed.content_block.name ?? '', arguments: '' },
                });
              }
              break;
            case 'content_block_delta':
              if (parsed.delta.type === 'text_delta' && parsed.delta.text) parts.push({ type: 'text-delta', text: parsed.delta.text });
              else if (parsed.delta.type === 'thinking_delta' || parsed.delta.type === 'signature_delta') {
                const index = reasoningIndexes.get(parsed.index ?? -1);
                if (index === undefined) throw upstreamFailure('anthropic', `${parsed.delta.type} for a block that is not thinking`);
                if (parsed.delta.thinking) parts.push({ type: 'reasoning-delta', delta: { index, text: parsed.delta.thinking } });
                if (parsed.delta.signature) parts.push({ type: 'reasoning-delta', delta: { index, signature: parsed.delta.signature } });
              } else if (parsed.delta.type === 'input_json_delta' && parsed.delta.partial_json) {
                const index = toolIndexes.get(parsed.index ?? -1);
                if (index === undefined) throw upstreamFailure('anthropic', 'input_json_delta for a block that is not a tool_use');
                parts.push({ type: 'tool-call-delta', delta: { index, arguments: parsed.delta.partial_json } });
              }
              break;
            case 'message_delta':
              stopReason = parsed.delta?.stop_reason ?? stopReason;
              // Newer API versions repeat the input and cache counts here: the latest figure of each wins.
              for (const [field, value] of Object.entries(parsed.usage ?? {})) {
                if (typeof value !== 'number') continue;
                if (field === 'output_tokens') outputUsage = { output_tokens: value };
                else inputUsage = { ...inputUsage, [field]: value };
              }
              break;
            case 'error':
              throw anthropicError(parsed.error);
            case 'message_stop':
              return true;
            case 'ping':
              break;
          }
          return false;
        },
        finish(complete, parts) {
          if (!complete) throw upstreamFailure('anthropic', 'stream ended without message_stop');
          parts.push({ type: 'usage', usage: fromAnthropicUsage(inputUsage, outputUsage), costUsd: null });
          parts.push({ type: 'stream-end', model, finishReason: mapAnthropicStopReason(stopReason) });
        },
        failure: (error, response) => streamFailure('anthropic', error, { caller: signal, response: response.signal }, options.timeoutMs),
      });
    },

    close: () => http.close(),
  };
}
