import { upstreamFailure, type ProviderId, type ReasoningBlock } from '@gateway/contracts';
import { createHttpClient, type HttpClient } from '../http/http-client';
import { parseServerSentEvents } from '../http/sse-parser';
import { reusingConnection } from '../http/keep-alive-stream';
import { streamFailure } from '../http/upstream-error';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest, ProviderChatResult } from '../types';
import { createOpenAiCompatibleEmbed } from './openai-compatible-embed';
import { bodyError } from './openai-compatible-errors';
import { fromOpenAiToolCallDelta, fromOpenAiToolCalls, fromOpenAiUsage, fromReasoningDetail, toOpenAiRequest } from './openai-compatible-map';
import { openAiChunkSchema, openAiResponseSchema, type OpenAiReasoningDetail, type OpenAiRequest } from './openai-compatible-wire';

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

    async *chatStream(request: ProviderChatRequest, signal: AbortSignal): AsyncGenerator<ChatStreamPart> {
      const response = await http.postJson(
        url,
        { ...headers, accept: 'text/event-stream' },
        decorate(toOpenAiRequest(request, true, options.reasoningDetails)),
        signal,
        {
          stream: true,
        },
      );
      let model = request.model;
      let finishReason: string | null = null;
      let done = false;
      let lastToolIndex = 0;
      try {
        for await (const event of reusingConnection(parseServerSentEvents(response.body), response.body, () => done)) {
          if (event.data === '[DONE]') {
            done = true;
            break;
          }
          let json: unknown;
          try {
            json = JSON.parse(event.data);
          } catch (error) {
            throw upstreamFailure(id, 'stream event is not valid JSON', error);
          }
          const chunk = openAiChunkSchema.safeParse(json);
          if (!chunk.success) throw upstreamFailure(id, 'stream event does not have the chunk shape');
          if (chunk.data.error) throw bodyError(id, chunk.data.error);
          if (chunk.data.model) model = chunk.data.model;
          for (const choice of chunk.data.choices ?? []) {
            if (choice.error || choice.finish_reason === 'error') throw bodyError(id, choice.error ?? { message: 'finish_reason error' });
            if (options.reasoningDetails)
              for (const detail of choice.delta?.reasoning_details ?? []) {
                const delta = fromReasoningDetail(detail, 0);
                if (delta) yield { type: 'reasoning-delta', delta };
              }
            const text = choice.delta?.content;
            if (text) yield { type: 'text-delta', text };
            for (const wireDelta of choice.delta?.tool_calls ?? []) {
              const delta = fromOpenAiToolCallDelta(wireDelta, lastToolIndex);
              lastToolIndex = delta.index;
              yield { type: 'tool-call-delta', delta };
            }
            if (choice.finish_reason) finishReason = choice.finish_reason;
          }
          if (chunk.data.usage) yield { type: 'usage', usage: fromOpenAiUsage(chunk.data.usage), costUsd: chunk.data.usage.cost ?? null };
        }
      } catch (error) {
        throw streamFailure(id, error, { caller: signal, response: response.signal }, options.timeoutMs);
      } finally {
        if (!done) response.body.destroy();
      }
      if (!done) throw upstreamFailure(id, 'stream ended without [DONE]');
      yield { type: 'stream-end', model, finishReason };
    },

    embed: createOpenAiCompatibleEmbed({ id, baseUrl: options.baseUrl, headers, http }),

    close: () => http.close(),
  };
}
