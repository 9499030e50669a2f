import type { StreamChunkEvent, StreamDoneEvent, StreamToolCallsEvent } from '@gateway/contracts';
import { toWireToolCallDeltas, type StreamFormat } from './dialects/stream-format';

export { toWireToolCallDeltas, type StreamFormat } from './dialects/stream-format';

/** `POST /v1/chat/stream`: `{content, model, provider}` and `{tool_calls, model, provider}` chunks, then `{done: true, usage, cost_usd, …}`. */
export function gatewayStreamFormat(): StreamFormat {
  return {
    chunk(text, model, provider) {
      const event: StreamChunkEvent = { content: text, model, provider };
      return [event];
    },
    toolCalls(deltas, model, provider) {
      const event: StreamToolCallsEvent = { tool_calls: toWireToolCallDeltas(deltas), model, provider };
      return [event];
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
    error: (error, requestId) => [error.toBody(requestId)],
  };
}
