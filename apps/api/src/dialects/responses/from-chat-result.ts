import type { ChatJobResult, ErrorType, ProviderId } from '@gateway/contracts';
import type { ResponsesRequest } from './responses-wire';

/** What a Response says besides its outcome: its id, when it was made, and the request's parameters it echoes. */
export interface ResponseMeta {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  model: string;
  request: ResponsesRequest;
}

/** Where a response is: not started, running, or ended one of three ways. */
export type ResponseState =
  | { status: 'queued' | 'in_progress' | 'cancelled' }
  | { status: 'completed'; result: ChatJobResult }
  | { status: 'failed'; error: { type: ErrorType; message: string } };

/** The item ids of a response's output: one message, then the function calls in order. */
export const messageItemId = (responseId: string): string => `msg_${responseId.slice('resp_'.length)}`;
export const functionCallItemId = (responseId: string, index: number): string => `fc_${responseId.slice('resp_'.length)}_${index}`;

/** OpenAI's ResponseError codes for the gateway's error types. */
function errorCode(type: ErrorType): string {
  if (type === 'rate_limited') return 'rate_limit_exceeded';
  if (type === 'invalid_request') return 'invalid_prompt';
  return 'server_error';
}

export function messageItem(responseId: string, text: string, status: 'in_progress' | 'completed') {
  return {
    id: messageItemId(responseId),
    type: 'message' as const,
    status,
    role: 'assistant' as const,
    content: status === 'completed' ? [{ type: 'output_text' as const, text, annotations: [], logprobs: [] }] : [],
  };
}

export function functionCallItem(
  responseId: string,
  index: number,
  call: { id: string; name: string; arguments: string },
  status: 'in_progress' | 'completed',
) {
  return { id: functionCallItemId(responseId, index), type: 'function_call' as const, status, call_id: call.id, name: call.name, arguments: call.arguments };
}

/** A finished answer's output items: its text as one message (when it has text, or nothing else), then its calls. */
export function outputItems(responseId: string, result: ChatJobResult) {
  const calls = (result.tool_calls ?? []).map((call, index) =>
    functionCallItem(responseId, index, { id: call.id, name: call.function.name, arguments: call.function.arguments }, 'completed'),
  );
  const message = result.content !== '' || calls.length === 0 ? [messageItem(responseId, result.content, 'completed')] : [];
  return [...message, ...calls];
}

/** OpenAI's usage of a Response from the chat usage. */
export function responseUsage(usage: ChatJobResult['usage']) {
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
}

function incompleteReason(result: ChatJobResult): 'max_output_tokens' | 'content_filter' | undefined {
  if (result.finish_reason === 'length') return 'max_output_tokens';
  if (result.finish_reason === 'content_filter') return 'content_filter';
  return undefined;
}

/** A Response object in OpenAI's shape (plus the gateway's `provider` and `cost_usd` once it has an answer). */
export function toResponse(meta: ResponseMeta, state: ResponseState, output: unknown[] | undefined = undefined) {
  const { request } = meta;
  const result = state.status === 'completed' ? state.result : undefined;
  const incomplete = result ? incompleteReason(result) : undefined;
  const provider: ProviderId | undefined = result?.provider;
  return {
    id: meta.id,
    object: 'response' as const,
    created_at: meta.createdAt,
    status: incomplete ? ('incomplete' as const) : state.status,
    background: request.background ?? false,
    error: state.status === 'failed' ? { code: errorCode(state.error.type), message: state.error.message } : null,
    incomplete_details: incomplete ? { reason: incomplete } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    metadata: request.metadata ?? {},
    model: result?.model ?? meta.model,
    output: output ?? (result ? outputItems(meta.id, result) : []),
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: { format: request.text?.format ?? { type: 'text' } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: (request.tools ?? []).map((tool) => ({
      type: 'function' as const,
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? true,
    })),
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: result ? responseUsage(result.usage) : null,
    user: request.user ?? null,
    ...(provider !== undefined ? { provider, cost_usd: result?.cost_usd } : {}),
  };
}

export type ResponseObject = ReturnType<typeof toResponse>;
