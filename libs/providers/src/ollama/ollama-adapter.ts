import { GatewayError, modelNotPulled, upstreamFailure, upstreamRefusedRequest, upstreamReportedError } from '@gateway/contracts';
import { createHttpClient, type HttpClient } from '../http/http-client';
import { createLineFeed } from '../http/sse-parser';
import { readStreamedAnswer } from '../http/stream-reader';
import { streamFailure } from '../http/upstream-error';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest, ProviderChatResult } from '../types';
import { createOllamaEmbed } from './ollama-embed';
import { fromOllamaToolCalls, fromOllamaUsage, mapOllamaFinishReason, toOllamaRequest } from './ollama-map';
import { ollamaChatSchema, type OllamaChat } from './ollama-wire';

export interface OllamaOptions {
  /** Ollama's address, e.g. http://localhost:11434 (no /api). */
  baseUrl: string;
  timeoutMs: number;
  http?: HttpClient;
}

const modelMissing = /not found|try pulling/i;

/**
 * An HTTP 404 whose body says the model is not pulled: as a fallback (OLLAMA_DEFAULT_MODEL not pulled) the next
 * provider is tried (see modelNotPulled).
 */
function withMissingModel(error: unknown): unknown {
  if (error instanceof GatewayError && error.details.upstreamStatus === 404 && modelMissing.test(error.message))
    return modelNotPulled('ollama', error.message, 404);
  return error;
}

/** Ollama puts a model that is not pulled, a bad option etc. in `error`; a 200 carrying one is still a failure. */
function answerError(message: string): GatewayError {
  if (modelMissing.test(message)) return modelNotPulled('ollama', message);
  if (/invalid|is required/i.test(message)) {
    return upstreamRefusedRequest(`ollama rejected the request: ${message}`);
  }
  return upstreamReportedError(`ollama reported an error: ${message}`);
}

function parseLine(line: string): OllamaChat {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw upstreamFailure('ollama', 'stream line is not valid JSON', error);
  }
  return checkAnswer(json);
}

function checkAnswer(json: unknown): OllamaChat {
  const parsed = ollamaChatSchema.safeParse(json);
  if (!parsed.success) throw upstreamFailure('ollama', 'answer does not have the /api/chat shape');
  if (parsed.data.error) throw answerError(parsed.data.error);
  return parsed.data;
}

/** Local inference: `POST /api/chat`, JSON or an NDJSON stream, and `POST /api/embed`. Costs nothing. */
export function createOllamaAdapter(options: OllamaOptions): ProviderAdapter {
  const http = options.http ?? createHttpClient({ provider: 'ollama', timeoutMs: options.timeoutMs });
  const url = `${options.baseUrl.replace(/\/+$/, '')}/api/chat`;

  return {
    id: 'ollama',
    async chat(request: ProviderChatRequest, signal: AbortSignal): Promise<ProviderChatResult> {
      const response = await http.postJson(url, {}, toOllamaRequest(request, false), signal).catch((error: unknown) => {
        throw withMissingModel(error);
      });
      const json = await http.readJson(response);
      const answer = checkAnswer(json);
      if (answer.done === false || !answer.message) throw upstreamFailure('ollama', 'answer is not finished or has no message');
      const toolCalls = fromOllamaToolCalls(answer, request.parallel_tool_calls);
      return {
        content: answer.message.content ?? '',
        toolCalls,
        model: answer.model ?? request.model,
        usage: fromOllamaUsage(answer),
        costUsd: 0,
        finishReason: mapOllamaFinishReason(answer.done_reason, toolCalls.length > 0),
      };
    },

    chatStream(request: ProviderChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamPart> {
      let last: OllamaChat | undefined;
      let toolIndex = 0;
      const open = () =>
        http.postJson(url, { accept: 'application/x-ndjson' }, toOllamaRequest(request, true), signal, { stream: true }).catch((error: unknown) => {
          throw withMissingModel(error);
        });
      return readStreamedAnswer<string>(open, {
        split: (onLine) => createLineFeed(onLine),
        accept(line, parts) {
          if (line.trim() === '') return false;
          const chunk = parseLine(line);
          const text = chunk.message?.content;
          if (text) parts.push({ type: 'text-delta', text });
          // Ollama sends each tool call whole, in one chunk: one fragment per call, numbered across the stream.
          for (const call of fromOllamaToolCalls(chunk, undefined)) {
            if (request.parallel_tool_calls === false && toolIndex > 0) break;
            parts.push({ type: 'tool-call-delta', delta: { index: toolIndex, id: call.id, name: call.function.name, arguments: call.function.arguments } });
            toolIndex += 1;
          }
          if (!chunk.done) return false;
          last = chunk;
          return true;
        },
        finish(complete, parts) {
          if (!complete || !last) throw upstreamFailure('ollama', 'stream ended without a done line');
          parts.push({ type: 'usage', usage: fromOllamaUsage(last), costUsd: 0 });
          parts.push({ type: 'stream-end', model: last.model ?? request.model, finishReason: mapOllamaFinishReason(last.done_reason, toolIndex > 0) });
        },
        failure: (error, response) => streamFailure('ollama', error, { caller: signal, response: response.signal }, options.timeoutMs),
      });
    },

    embed: createOllamaEmbed({ baseUrl: options.baseUrl, http, checked: withMissingModel, answerError }),

    close: () => http.close(),
  };
}
