import { callCancelled, contentText, GatewayError, mockFailure, upstreamTimeout, type ToolCall } from '@gateway/contracts';
import { mockReplyText, mockToolCalls } from './mock-tools';
import { mockLimits, parseMockDirectives, type MockFailMode, type MockOptions } from './mock-directives';
import { mockEmbeddings } from './mock-embed';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest, ProviderChatResult } from '../types';

/** Whitespace-separated words: the mock's deterministic token count. */
export function countMockTokens(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return signal.aborted ? Promise.reject(cancelled()) : Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The call's clock: every delay is spent against one deadline, past which the call ends as a timeout. */
function createDeadline(timeoutMs: number) {
  const endsAt = Date.now() + timeoutMs;
  return async (ms: number, signal: AbortSignal) => {
    const left = endsAt - Date.now();
    if (ms < left) return sleep(ms, signal);
    await sleep(Math.max(0, left), signal);
    throw upstreamTimeout('mock', timeoutMs);
  };
}

/** The reply's stream chunks (words with their trailing space), at most mockLimits.chunks: the rest joins the last. */
function chunksOf(content: string): string[] {
  const pieces = content.match(/\S+\s*/g) ?? [];
  if (pieces.length <= mockLimits.chunks) return pieces;
  return [...pieces.slice(0, mockLimits.chunks - 1), pieces.slice(mockLimits.chunks - 1).join('')];
}

const cancelled = (): GatewayError => callCancelled('mock');

function failure(mode: MockFailMode): GatewayError | undefined {
  switch (mode) {
    case 'upstream_error':
    case 'timeout':
    case 'invalid_request':
      return mockFailure(mode);
    default:
      return undefined;
  }
}

/**
 * Deterministic provider for development and tests: can stream, fail and be slow (never past its timeoutMs,
 * PROVIDER_TIMEOUT_MS). Costs nothing.
 */
export function createMockAdapter(options: MockOptions = {}): ProviderAdapter {
  const run = async (request: ProviderChatRequest, signal: AbortSignal) => {
    const directives = parseMockDirectives(request.model, options);
    const wait = createDeadline(options.timeoutMs ?? 60_000);
    await wait(directives.latencyMs, signal);
    const error = failure(directives.fail);
    if (error) throw error;
    const toolCalls: ToolCall[] = mockToolCalls(request, directives.toolRounds);
    const content = toolCalls.length > 0 ? '' : mockReplyText(request, directives.reply);
    const promptTokens = request.messages.reduce((sum, message) => sum + countMockTokens(contentText(message.content)), 0);
    let completionTokens = countMockTokens(content) + toolCalls.reduce((sum, call) => sum + countMockTokens(call.function.arguments) + 1, 0);
    let finalContent = content;
    let finishReason = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    if (request.max_tokens !== undefined && completionTokens > request.max_tokens && toolCalls.length === 0) {
      finalContent = content.trim().split(/\s+/).slice(0, request.max_tokens).join(' ');
      completionTokens = request.max_tokens;
      finishReason = 'length';
    }
    return { directives, wait, content: finalContent, toolCalls, promptTokens, completionTokens, finishReason };
  };

  return {
    id: 'mock',
    async chat(request, signal): Promise<ProviderChatResult> {
      const { content, toolCalls, promptTokens, completionTokens, finishReason } = await run(request, signal);
      return {
        content,
        toolCalls,
        model: request.model,
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        costUsd: 0,
        finishReason,
      };
    },
    async *chatStream(request, signal): AsyncGenerator<ChatStreamPart> {
      const { directives, wait, content, toolCalls, promptTokens, completionTokens, finishReason } = await run(request, signal);
      const pieces = chunksOf(content);
      for (const [index, piece] of pieces.entries()) {
        if (index > 0) await wait(directives.chunkDelayMs, signal);
        else if (signal.aborted) throw cancelled();
        yield { type: 'text-delta', text: index === 0 ? (content.match(/^\s*/)?.[0] ?? '') + piece : piece };
      }
      // Tool calls as OpenAI streams them: id and name first, then the arguments in two fragments.
      for (const [index, call] of toolCalls.entries()) {
        await wait(directives.chunkDelayMs, signal);
        yield { type: 'tool-call-delta', delta: { index, id: call.id, name: call.function.name, arguments: '' } };
        const half = Math.ceil(call.function.arguments.length / 2);
        for (const fragment of [call.function.arguments.slice(0, half), call.function.arguments.slice(half)]) {
          if (fragment !== '') yield { type: 'tool-call-delta', delta: { index, arguments: fragment } };
        }
      }
      yield {
        type: 'usage',
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        costUsd: 0,
      };
      yield { type: 'stream-end', model: request.model, finishReason };
    },
    async embed(request, signal) {
      const directives = parseMockDirectives(request.model, options);
      await createDeadline(options.timeoutMs ?? 60_000)(directives.latencyMs, signal);
      const error = failure(directives.fail);
      if (error) throw error;
      return mockEmbeddings(request, countMockTokens);
    },
    close: async () => undefined,
  };
}
