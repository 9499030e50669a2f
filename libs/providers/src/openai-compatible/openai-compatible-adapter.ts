import { upstreamFailure, type ProviderId, type ReasoningBlock } from '@gateway/contracts';
import { createHttpClient, type HttpClient } from '../http/http-client';
import { createServerSentEventFeed, type ServerSentEvent } from '../http/sse-parser';
import { readStreamedAnswer } from '../http/stream-reader';
import { streamFailure } from '../http/upstream-error';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest, ProviderChatResult } from '../types';
import { createOpenAiCompatibleEmbed } from './openai-compatible-embed';
import { bodyError } from './openai-compatible-errors';
import { fromOpenAiToolCallDelta, fromOpenAiToolCalls, fromOpenAiUsage, fromReasoningDetail, toOpenAiRequest } from './openai-compatible-map';
import { openAiChunkSchema, openAiResponseSchema, plainOpenAiChunk, type OpenAiReasoningDetail, type OpenAiRequest } from './openai-compatible-wire';

/** What distinguishes one OpenAI-compatible upstream from another. */
export interface OpenAiCompatibleOptions {
  id: ProviderId;
  /** Base URL ending before `/chat/completions` (and `/embeddings`). */
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  /** Extra headers on every call (e.g. OpenRouter's HTTP-Referer and X-Title). */
  headers?: Record<string, string>;
  /** Adds provider-specific fields to the body (e.g. OpenRouter's `usage: {include: true}`). */
  decorateRequest?: (body: OpenAiRequest) => OpenAiRequest;
  /** Reasoning comes and goes as OpenRouter's `reasoning_details` (signed thinking kept across turns). */
  reasoningDetails?: boolean;
  /** Injected client (tests, shared pools). */
  http?: HttpClient;
}

/** An answer's reasoning items as whole reasoning blocks, by their index. */
function reasoningBlocksOf(details: readonly OpenAiReasoningDetail[] | null | undefined): ReasoningBlock[] {
  const blocks: ReasoningBlock[] = [];
  for (const detail of details ?? []) {
    const delta = fromReasoningDetail(detail, blocks.length);
    if (!delta) continue;
    const { index, ...block } = delta;
    blocks[index] = { ...blocks[index], ...block };
  }
  return blocks.filter((block): block is ReasoningBlock => block !== undefined);
}

export function createOpenAiCompatibleAdapter(options: OpenAiCompatibleOptions): ProviderAdapter {
  const { id } = options;
  const http = options.http ?? createHttpClient({ provider: id, timeoutMs: options.timeoutMs });
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = {
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...options.headers,
  };
  const decorate = options.decorateRequest ?? ((body: OpenAiRequest) => body);

  return {
    id,
    async chat(request: ProviderChatRequest, signal: AbortSignal): Promise<ProviderChatResult> {
      const response = await http.postJson(url, headers, decorate(toOpenAiRequest(request, false, options.reasoningDetails)), signal);
      const parsed = openAiResponseSchema.safeParse(await http.readJson(response));
      if (!parsed.success) throw upstreamFailure(id, 'answer does not have the chat completions shape');
      const answer = parsed.data;
      if (answer.error) throw bodyError(id, answer.error);
      const choice = answer.choices?.[0];
      if (!choice) throw upstreamFailure(id, 'answer has no choices');
      if (choice.error || choice.finish_reason === 'error') throw bodyError(id, choice.error ?? { message: 'finish_reason error' });
      const reasoningBlocks = options.reasoningDetails ? reasoningBlocksOf(choice.message?.reasoning_details) : [];
      return {
        content: choice.message?.content ?? '',
        toolCalls: fromOpenAiToolCalls(choice.message),
        model: answer.model ?? request.model,
        usage: fromOpenAiUsage(answer.usage),
        costUsd: answer.usage?.cost ?? null,
        finishReason: choice.finish_reason ?? null,
        ...(choice.logprobs ? { logprobs: choice.logprobs } : {}),
        ...(reasoningBlocks.length > 0 ? { reasoningBlocks } : {}),
      };
    },

    chatStream(request: ProviderChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamPart> {
      let model = request.model;
      let finishReason: string | null = null;
      let lastToolIndex = 0;
      const open = () =>
        http.postJson(url, { ...headers, accept: 'text/event-stream' }, decorate(toOpenAiRequest(request, true, options.reasoningDetails)), signal, {
          stream: true,
        });
      return readStreamedAnswer<ServerSentEvent>(open, {
        split: (onEvent) => createServerSentEventFeed(onEvent),
        accept(event, parts) {
          if (event.data === '[DONE]') return true;
          let json: unknown;
          try {
            json = JSON.parse(event.data);
          } catch (error) {
            throw upstreamFailure(id, 'stream event is not valid JSON', error);
          }
          let chunk = plainOpenAiChunk(json);
          if (!chunk) {
            const parsed = openAiChunkSchema.safeParse(json);
            if (!parsed.success) throw upstreamFailure(id, 'stream event does not have the chunk shape');
            chunk = parsed.data;
          }
          if (chunk.error) throw bodyError(id, chunk.error);
          if (chunk.model) model = chunk.model;
          for (const choice of chunk.choices ?? []) {
            if (choice.error || choice.finish_reason === 'error') throw bodyError(id, choice.error ?? { message: 'finish_reason error' });
            if (options.reasoningDetails)
              for (const detail of choice.delta?.reasoning_details ?? []) {
                const delta = fromReasoningDetail(detail, 0);
                if (delta) parts.push({ type: 'reasoning-delta', delta });
              }
            const text = choice.delta?.content;
            if (text) parts.push({ type: 'text-delta', text });
            for (const wireDelta of choice.delta?.tool_calls ?? []) {
              const delta = fromOpenAiToolCallDelta(wireDelta, lastToolIndex);
              lastToolIndex = delta.index;
              parts.push({ type: 'tool-call-delta', delta });
            }
            if (choice.finish_reason) finishReason = choice.finish_reason;
          }
          if (chunk.usage) parts.push({ type: 'usage', usage: fromOpenAiUsage(chunk.usage), costUsd: chunk.usage.cost ?? null });
          return false;
        },
        finish(complete, parts) {
          if (!complete) throw upstreamFailure(id, 'stream ended without [DONE]');
          parts.push({ type: 'stream-end', model, finishReason });
        },
        failure: (error, response) => streamFailure(id, error, { caller: signal, response: response.signal }, options.timeoutMs),
      });
    },

    embed: createOpenAiCompatibleEmbed({ id, baseUrl: options.baseUrl, headers, http }),

    close: () => http.close(),
  };
}
