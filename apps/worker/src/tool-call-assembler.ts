import { tooManyToolCalls, type ToolCall, type ToolCallDelta } from '@gateway/contracts';
import { newToolCallId } from '@gateway/providers';

/** Largest number of tool calls one streamed answer may build (OpenAI's tool limit). */
const MAX_STREAMED_TOOL_CALLS = 128;

/**
 * Builds a streamed answer's whole tool calls from their fragments. Calls are numbered 0, 1, 2, … in the order
 * they start, whatever indexes the upstream used, so that a call's index is its place in the result; an index's
 * first fragment carries the call's id (made here when the upstream gives none) and name. `accept` returns the
 * fragment as it is relayed; `toolCalls` the whole calls the stream's end and the job's result carry.
 */
export function createToolCallAssembler(provider: string) {
  const calls: { id: string; name: string; arguments: string }[] = [];
  const byUpstreamIndex = new Map<number, number>();
  return {
    accept(delta: ToolCallDelta): ToolCallDelta {
      let index = byUpstreamIndex.get(delta.index);
      if (index === undefined) {
        if (calls.length >= MAX_STREAMED_TOOL_CALLS) throw tooManyToolCalls(provider, MAX_STREAMED_TOOL_CALLS);
        index = calls.length;
        byUpstreamIndex.set(delta.index, index);
        calls.push({ id: delta.id ?? newToolCallId(), name: delta.name ?? '', arguments: delta.arguments });
        const call = calls[index]!;
        return { index, id: call.id, name: call.name, arguments: delta.arguments };
      }
      const call = calls[index]!;
      // A name that comes after the first fragment (some upstreams split it) is kept, and relayed.
      if (delta.name && call.name === '') call.name = delta.name;
      call.arguments += delta.arguments;
      return { index, ...(delta.name && call.name === delta.name ? { name: delta.name } : {}), arguments: delta.arguments };
    },
    toolCalls(): ToolCall[] {
      return calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } }));
    },
  };
}
