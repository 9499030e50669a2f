import type { ChatJobResult, GatewayError, ProviderId, ReasoningDelta, StreamToolCallDelta, ToolCallDelta } from '@gateway/contracts';

/**
 * How one relayed stream speaks on the wire: the relay decides what happens (a chunk, the end, a failure), the
 * format what the `data:` events say. One format object serves one stream (it may keep state).
 */
export interface StreamFormat {
  /** The payloads of a text chunk. */
  chunk(text: string, model: string, provider: ProviderId): unknown[];
  /** The payloads of reasoning fragments (dialects without reasoning events leave it out: nothing is sent). */
  reasoning?(deltas: readonly ReasoningDelta[], model: string, provider: ProviderId): unknown[];
  /** The payloads of tool-call fragments (in order; an index's first fragment carries its id and name). */
  toolCalls(deltas: readonly ToolCallDelta[], model: string, provider: ProviderId): unknown[];
  /** The payloads closing a stream that succeeded (its whole text already sent). */
  done(result: ChatJobResult, jobId: string): unknown[];
  /** The payloads of a failure after the stream began; the stream ends after them. */
  error(error: GatewayError, requestId: string): unknown[];
  /** The payloads sent while nothing else is (Anthropic's `ping` event); none: a `: ping` comment line. */
  keepAlive?(): unknown[];
  /** Raw `data:` text after the last event of a stream that succeeded (OpenAI's `[DONE]`). */
  terminator?: string;
  /** The `event:` name of a payload (typed events, as the Responses API sends them); none: no `event:` line. */
  eventName?(payload: unknown): string;
}

/** Tool-call fragments in OpenAI's streamed shape: `id`, `type` and `name` in an index's first fragment. */
export function toWireToolCallDeltas(deltas: readonly ToolCallDelta[]): StreamToolCallDelta[] {
  return deltas.map((delta) => ({
    index: delta.index,
    ...(delta.id !== undefined ? { id: delta.id, type: 'function' as const } : {}),
    function: { ...(delta.name !== undefined ? { name: delta.name } : {}), arguments: delta.arguments },
  }));
}
