import {
  toOpenAiErrorBody,
  type ChatJobResult,
  type GatewayError,
  type ProviderId,
  type StreamChunkEvent,
  type StreamDoneEvent,
  type StreamToolCallDelta,
  type StreamToolCallsEvent,
  type ToolCallDelta,
} from '@gateway/contracts';

/**
 * How one relayed stream speaks on the wire: the relay decides what happens (a chunk, the end, a failure), the
 * format what the `data:` events say. One format object serves one stream (it may keep state).
 */
export interface StreamFormat {
  /** The payload of a text chunk. */
  chunk(text: string, model: string, provider: ProviderId): unknown;
  /** The payload of tool-call fragments (in order; an index's first fragment carries its id and name). */
  toolCalls(deltas: readonly ToolCallDelta[], model: string, provider: ProviderId): unknown;
  /** The payloads closing a stream that succeeded (its whole text already sent). */
  done(result: ChatJobResult, jobId: string): unknown[];
  /** The payload of a failure after the stream began; the stream ends after it. */
  error(error: GatewayError, requestId: string): unknown;
  /** Raw `data:` text after the last event of a stream that succeeded (OpenAI's `[DONE]`). */
  terminator?: string;
}

/** Tool-call fragments in OpenAI's streamed shape: `id`, `type` and `name` in an index's first fragment. */
export function toWireToolCallDeltas(deltas: readonly ToolCallDelta[]): StreamToolCallDelta[] {
  return deltas.map((delta) => ({
    index: delta.index,
    ...(delta.id !== undefined ? { id: delta.id, type: 'function' as const } : {}),
    function: { ...(delta.name !== undefined ? { name: delta.name } : {}), arguments: delta.arguments },
  }));
}

/** `POST /v1/chat/stream`: `{content, model, provider}` and `{tool_calls, model, provider}` chunks, then `{done: true, usage, cost_usd, …}`. */
export function gatewayStreamFormat(): StreamFormat {
  return {
    chunk(text, model, provider) {
      const event: StreamChunkEvent = { content: text, model, provider };
      return event;
    },
    toolCalls(deltas, model, provider) {
      const event: StreamToolCallsEvent = { tool_calls: toWireToolCallDeltas(deltas), model, provider };
      return event;
    },
    done(result, jobId) {
      const event: StreamDoneEvent = {
        done: true,
        model: result.model,
        provider: result.provider,
        usage: result.usage,
        cost_usd: result.cost_usd,
        finish_reason: result.finish_reason,
        ...(result.tool_calls ? { tool_calls: result.tool_calls } : {}),
        job_id: jobId,
      };
      return [event];
    },
    error: (error, requestId) => error.toBody(requestId),
  };
}

export interface OpenAiStreamOptions {
  jobId: string;
  /** `stream_options.include_usage`: a last chunk with `usage` (and no choices), `usage: null` on the others. */
  includeUsage: boolean;
}

/**
 * `POST /v1/chat/completions` with `stream: true`: `chat.completion.chunk` objects (the first delta carries the
 * role), a last one with `finish_reason`, the usage chunk when asked, then `data: [DONE]`. A failure after the
 * stream began is OpenAI's error body as a data event (the SDKs raise it), without `[DONE]`.
 */
export function openAiStreamFormat(options: OpenAiStreamOptions): StreamFormat {
  const id = `chatcmpl-${options.jobId}`;
  const created = Math.floor(Date.now() / 1000);
  let roleSent = false;
  const chunkOf = (model: string, provider: ProviderId, choices: unknown[]) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    provider,
    system_fingerprint: null,
    choices,
    ...(options.includeUsage ? { usage: null } : {}),
  });
  const delta = (fields: Record<string, unknown>) => {
    const role = roleSent ? {} : { role: 'assistant' };
    roleSent = true;
    return { ...role, ...fields };
  };
  const choice = (fields: Record<string, unknown>) => [{ index: 0, delta: delta(fields), logprobs: null, finish_reason: null }];
  return {
    chunk: (text, model, provider) => chunkOf(model, provider, choice({ content: text })),
    toolCalls: (deltas, model, provider) => chunkOf(model, provider, choice({ tool_calls: toWireToolCallDeltas(deltas) })),
    done(result) {
      const events: unknown[] = [];
      if (!roleSent) events.push(chunkOf(result.model, result.provider, choice({ content: '' })));
      events.push(chunkOf(result.model, result.provider, [{ index: 0, delta: {}, logprobs: null, finish_reason: result.finish_reason ?? 'stop' }]));
      if (options.includeUsage) events.push({ ...chunkOf(result.model, result.provider, []), usage: result.usage, cost_usd: result.cost_usd });
      return events;
    },
    error: (error) => toOpenAiErrorBody(error.type, error.message),
    terminator: '[DONE]',
  };
}
