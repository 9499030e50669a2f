import { errorBodySchema, httpStatusByErrorType, streamChunkEventSchema, streamDoneEventSchema, streamToolCallsEventSchema } from '@gateway/contracts';
import { GatewayTimeoutError, UnavailableError, createClientError, type GatewayClientError } from './errors';
import { send, type CallOptions, type HttpSettings } from './http';
import { readEventData } from './sse';
import type { StreamChunk } from './types';

/** The typed error of an `error` event, sent after the stream began (status: what the gateway would have answered). */
function streamError(data: unknown): GatewayClientError | undefined {
  const parsed = errorBodySchema.safeParse(data);
  if (!parsed.success) return undefined;
  const { type, message, request_id: requestId, attempts, retry_after_seconds: retryAfter } = parsed.data.error;
  return createClientError({ status: httpStatusByErrorType[type], type, message, requestId, attempts, retryAfter });
}

/** One `data:` payload of `/v1/chat/stream` as a chunk; throws the typed error of an error event. */
function toChunk(text: string, jobId: string): StreamChunk {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UnavailableError({ status: 0, type: 'unavailable', message: `the stream sent an event that is not JSON: ${text.slice(0, 100)}` }, { cause: error });
  }
  const failure = streamError(data);
  if (failure) throw failure;
  const done = streamDoneEventSchema.safeParse(data);
  if (done.success) {
    const { model, provider, usage, cost_usd: costUsd, finish_reason: finishReason, job_id: doneJobId, tool_calls: toolCalls } = done.data;
    return { type: 'done', jobId: doneJobId, model, provider, usage, costUsd, finishReason, ...(toolCalls ? { toolCalls } : {}) };
  }
  const chunk = streamChunkEventSchema.safeParse(data);
  if (chunk.success) return { type: 'content', jobId, ...chunk.data };
  const toolCalls = streamToolCallsEventSchema.safeParse(data);
  if (toolCalls.success) return { type: 'tool_calls', jobId, toolCalls: toolCalls.data.tool_calls, model: toolCalls.data.model, provider: toolCalls.data.provider };
  throw new UnavailableError({ status: 0, type: 'unavailable', message: `the stream sent an event the client does not know: ${text.slice(0, 100)}` });
}

/**
 * `POST /v1/chat/stream` as an async iterable: content chunks, then the `done` chunk (usage, cost). Failures before
 * the first byte are the usual typed errors; an error event later is thrown as its typed error. Aborting the
 * signal, the timeout, or leaving the loop closes the connection, and the gateway cancels the job.
 */
export async function* streamChat(settings: HttpSettings, body: unknown, options: CallOptions): AsyncGenerator<StreamChunk> {
  const { response, dispose, timedOut } = await send(settings, 'POST', '/v1/chat/stream', body, options);
  const jobId = response.headers.get('x-job-id') ?? '';
  let events: AsyncGenerator<string> | undefined;
  try {
    if (!response.body) throw new UnavailableError({ status: response.status, type: 'unavailable', message: 'the stream has no body' });
    events = readEventData(response.body);
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await events.next();
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        if (timedOut()) throw new GatewayTimeoutError({ status: 0, type: 'timeout', message: `the stream did not end in ${options.timeoutMs ?? settings.timeoutMs} ms` }, { cause: error });
        throw new UnavailableError({ status: 0, type: 'unavailable', message: `the stream broke off: ${error instanceof Error ? error.message : String(error)}` }, { cause: error });
      }
      if (next.done) break;
      const chunk = toChunk(next.value, jobId);
      yield chunk;
      if (chunk.type === 'done') return;
    }
    throw new UnavailableError({ status: 0, type: 'unavailable', message: 'the stream ended before it was done' });
  } finally {
    // Leaving early (break, an error event) closes the connection: the gateway then cancels the job.
    await events?.return(undefined).catch(() => undefined);
    dispose();
  }
}
