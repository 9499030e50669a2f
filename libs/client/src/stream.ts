import { errorBodySchema, httpStatusByErrorType, streamChunkEventSchema, streamDoneEventSchema, streamToolCallsEventSchema } from '@gateway/contracts';
import { GatewayClientError, GatewayTimeoutError, UnavailableError, createClientError } from './errors';
import { newIdempotencyKey, send, sleep, type CallOptions, type HttpSettings } from './http';
import { readStreamConnection, type StreamBreak } from './stream-connection';
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
    throw new UnavailableError(
      { status: 0, type: 'unavailable', message: `the stream sent an event that is not JSON: ${text.slice(0, 100)}` },
      { cause: error },
    );
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
  if (toolCalls.success)
    return { type: 'tool_calls', jobId, toolCalls: toolCalls.data.tool_calls, model: toolCalls.data.model, provider: toolCalls.data.provider };
  throw new UnavailableError({ status: 0, type: 'unavailable', message: `the stream sent an event the client does not know: ${text.slice(0, 100)}` });
}

/** Why reading a stream stopped before its end: it broke off (network), or ended without its `done`. */

/**
 * `POST /v1/chat/stream` as an async iterable: content chunks, then the `done` chunk (usage, cost). Failures before
 * the first byte are the usual typed errors; an error event later is thrown as its typed error. A stream that
 * breaks off is resumed (`settings.resume`): the client reconnects to `GET /v1/jobs/{id}/stream` with the last
 * event id it has, so nothing is lost or repeated and the provider is not called again (the stream is asked for as
 * resumable, under an Idempotency-Key). Aborting the signal, the timeout, or leaving the loop ends the stream and
 * cancels the job (DELETE, as the gateway keeps a resumable job running for a while otherwise).
 */
export async function* streamChat(settings: HttpSettings, body: unknown, options: CallOptions): AsyncGenerator<StreamChunk> {
  const resume = settings.resume.maxResumes > 0;
  const idempotencyKey = options.idempotencyKey ?? (resume || settings.retry.maxRetries > 0 ? newIdempotencyKey() : undefined);
  const requestBody = resume && typeof body === 'object' && body !== null ? { ...body, resumable: true } : body;
  let opened = await send(settings, 'POST', '/v1/chat/stream', requestBody, { ...options, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) });
  const jobId = opened.response.headers.get('x-job-id') ?? '';
  let lastId: string | undefined;
  let over = false;
  try {
    for (let resumes = 0; ; resumes += 1) {
      const broke: StreamBreak | undefined = yield* readChunks(opened, jobId, options, settings, (id) => (lastId = id));
      if (!broke) {
        over = true;
        return;
      }
      if (!resume || jobId === '' || resumes >= settings.resume.maxResumes) throw broke.error;
      await sleep(settings.resume.delayMs * 2 ** resumes, options.signal);
      opened = await reopen(settings, jobId, lastId, options, broke.error);
    }
  } catch (error) {
    // An error event (or an answer with a status) means the job is over on the gateway's side: nothing to cancel.
    if (error instanceof GatewayClientError && error.status !== 0) over = true;
    throw error;
  } finally {
    // Left early (break, abort, timeout): a resumable job would run on for its grace; end it now.
    if (!over && resume && jobId !== '')
      await send(settings, 'DELETE', `/v1/jobs/${encodeURIComponent(jobId)}`, undefined, { timeoutMs: 5000 }).then(
        ({ dispose }) => dispose(),
        () => undefined,
      );
  }
}

/** Reconnects to a job's stream after lastId; a reconnection that fails is reported as the first break. */
async function reopen(settings: HttpSettings, jobId: string, lastId: string | undefined, options: CallOptions, firstBreak: unknown) {
  try {
    return await send(settings, 'GET', `/v1/jobs/${encodeURIComponent(jobId)}/stream`, undefined, {
      ...callTiming(options),
      ...(lastId !== undefined ? { headers: { 'last-event-id': lastId } } : {}),
    });
  } catch (error) {
    if (error instanceof UnavailableError || error instanceof GatewayTimeoutError) throw firstBreak;
    throw error;
  }
}

const callTiming = (options: CallOptions): CallOptions => ({
  ...(options.signal ? { signal: options.signal } : {}),
  ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
});

/** Yields one connection's chunks (noting each event id); returns undefined at the `done` chunk, or how it broke. */
function readChunks(opened: Awaited<ReturnType<typeof send>>, jobId: string, options: CallOptions, settings: HttpSettings, noteId: (id: string) => void) {
  return readStreamConnection<StreamChunk>(opened, options, settings, {
    item: (event) => {
      const chunk = toChunk(event.data, jobId);
      if (event.id !== undefined) noteId(event.id);
      return chunk;
    },
    isLast: (chunk) => chunk.type === 'done',
    endedEarly: 'the stream ended before it was done',
  });
}
