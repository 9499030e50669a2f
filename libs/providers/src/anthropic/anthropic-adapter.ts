import { GatewayError } from '@gateway/contracts';
import { createHttpClient, type HttpClient } from '../http/http-client';
import { parseServerSentEvents } from '../http/sse-parser';
import { reusingConnection } from '../http/keep-alive-stream';
import { upstreamFailure } from '../http/upstream-error';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest, ProviderChatResult } from '../types';
import { anthropicError, fromAnthropicUsage, mapAnthropicStopReason, toAnthropicRequest } from './anthropic-map';
import { anthropicErrorSchema, anthropicEventSchema, anthropicMessageSchema, type AnthropicEvent } from './anthropic-wire';

/** The Messages API version we speak. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Options of the (deprecated) Anthropic adapter. */
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
  // Event types we do not know (content_block_start/stop, future ones) are skipped; a known one of the wrong shape is not.
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && !['message_start', 'content_block_delta', 'message_delta', 'message_stop', 'ping', 'error'].includes(type)) return undefined;
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
      return {
        content: answer.content.map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join(''),
        model: answer.model ?? request.model,
        usage: fromAnthropicUsage(answer.usage),
        costUsd: null,
        finishReason: mapAnthropicStopReason(answer.stop_reason),
      };
    },

    async *chatStream(request: ProviderChatRequest, signal: AbortSignal): AsyncGenerator<ChatStreamPart> {
      const response = await http.postJson(url, { ...headers, accept: 'text/event-stream' }, toAnthropicRequest(request, true), signal, { stream: true });
      let model = request.model;
      let inputUsage: { input_tokens?: number | null } | null | undefined;
      let outputUsage: { output_tokens?: number | null } | null | undefined;
      let stopReason: string | null | undefined;
      let done = false;
      try {
        for await (const event of reusingConnection(parseServerSentEvents(response.body), response.body, () => done)) {
          const parsed = parseEvent(event.data);
          if (!parsed) continue;
          switch (parsed.type) {
            case 'message_start':
              model = parsed.message.model ?? model;
              inputUsage = parsed.message.usage;
              break;
            case 'content_block_delta':
              if (parsed.delta.type === 'text_delta' && parsed.delta.text) yield { type: 'text-delta', text: parsed.delta.text };
              break;
            case 'message_delta':
              stopReason = parsed.delta?.stop_reason ?? stopReason;
              if (parsed.usage) outputUsage = parsed.usage;
              break;
            case 'error':
              throw anthropicError(parsed.error);
            case 'message_stop':
              done = true;
              break;
            case 'ping':
              break;
          }
          if (done) break;
        }
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        if (signal.aborted) throw new GatewayError('upstream_error', 'anthropic: call cancelled', { retryable: false, cause: error });
        if (response.signal.aborted) throw new GatewayError('timeout', `anthropic stream silent for ${options.timeoutMs} ms or past its total limit`, { retryable: true, cause: error });
        throw upstreamFailure('anthropic', 'stream broken', error);
      } finally {
        if (!done) response.body.destroy();
      }
      if (!done) throw upstreamFailure('anthropic', 'stream ended without message_stop');
      yield { type: 'usage', usage: fromAnthropicUsage({ input_tokens: inputUsage?.input_tokens ?? null }, { output_tokens: outputUsage?.output_tokens ?? null }), costUsd: null };
      yield { type: 'stream-end', model, finishReason: mapAnthropicStopReason(stopReason) };
    },

    close: () => http.close(),
  };
}
