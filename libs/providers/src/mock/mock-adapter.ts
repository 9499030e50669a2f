import { GatewayError, contentText, type ToolCall } from '@gateway/contracts';
import { cancelledCall } from '../http/upstream-error';
import { mockReplyText, mockToolCalls } from './mock-tools';
import type { ChatStreamPart, ProviderAdapter, ProviderChatRequest, ProviderChatResult } from '../types';

/** How the mock fails, when told to. */
export type MockFailMode = 'none' | 'upstream_error' | 'timeout' | 'invalid_request';

/** Options of the mock provider; a model name can override them per request (see parseMockDirectives). */
export interface MockOptions {
  /** Fixed reply; when absent the mock answers `Mock reply to: <last user message>`. */
  reply?: string | undefined;
  latencyMs?: number;
  fail?: MockFailMode;
}

interface MockDirectives {
  reply: string | undefined;
  latencyMs: number;
  chunkDelayMs: number;
  fail: MockFailMode;
  /** Assistant turns with tool calls before the mock answers with text (`tool_rounds=2`, default 1). */
  toolRounds: number;
}

const failModes: readonly MockFailMode[] = ['none', 'upstream_error', 'timeout', 'invalid_request'];

/**
 * Per-request behaviour from the model name, e.g. `echo?latency=200&fail=upstream_error&chunk_delay=5&reply=hi&tool_rounds=2`:
 * lets tests and demos drive the mock without restarting it.
 */
export function parseMockDirectives(model: string, defaults: MockOptions): MockDirectives {
  const query = model.includes('?') ? new URLSearchParams(model.slice(model.indexOf('?') + 1)) : new URLSearchParams();
  const number = (name: string, fallback: number) => {
    const raw = query.get(name);
    const value = raw === null ? NaN : Number(raw);
    return Number.isFinite(value) && value >= 0 ? Math.min(value, 600_000) : fallback;
  };
  const fail = query.get('fail');
  return {
    reply: query.get('reply') ?? defaults.reply,
    latencyMs: number('latency', defaults.latencyMs ?? 0),
    chunkDelayMs: number('chunk_delay', 0),
    fail: fail !== null && (failModes as readonly string[]).includes(fail) ? (fail as MockFailMode) : (defaults.fail ?? 'none'),
    toolRounds: Math.min(Math.floor(number('tool_rounds', 1)), 100),
  };
}

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

const cancelled = (): GatewayError => cancelledCall('mock');

function failure(mode: MockFailMode): GatewayError | undefined {
  switch (mode) {
    case 'upstream_error':
      return new GatewayError('upstream_error', 'mock: told to fail', { retryable: true, upstreamStatus: 503 });
    case 'timeout':
      return new GatewayError('timeout', 'mock: told to time out', { retryable: true });
    case 'invalid_request':
      return new GatewayError('invalid_request', 'mock: told to reject the request', { retryable: false, upstreamStatus: 400 });
    default:
      return undefined;
  }
}

/** Deterministic provider for development and tests: can stream, fail and be slow. Costs nothing. */
export function createMockAdapter(options: MockOptions = {}): ProviderAdapter {
  const run = async (request: ProviderChatRequest, signal: AbortSignal) => {
    const directives = parseMockDirectives(request.model, options);
    await sleep(directives.latencyMs, signal);
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
    return { directives, content: finalContent, toolCalls, promptTokens, completionTokens, finishReason };
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
      const { directives, content, toolCalls, promptTokens, completionTokens, finishReason } = await run(request, signal);
      const pieces = content.match(/\S+\s*/g) ?? [];
      for (const [index, piece] of pieces.entries()) {
        if (index > 0) await sleep(directives.chunkDelayMs, signal);
        else if (signal.aborted) throw cancelled();
        yield { type: 'text-delta', text: index === 0 ? (content.match(/^\s*/)?.[0] ?? '') + piece : piece };
      }
      // Tool calls as OpenAI streams them: id and name first, then the arguments in two fragments.
      for (const [index, call] of toolCalls.entries()) {
        await sleep(directives.chunkDelayMs, signal);
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
    close: async () => undefined,
  };
}
