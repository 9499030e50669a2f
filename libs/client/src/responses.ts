import { errorTypeForStatus, UnavailableError, createClientError } from './errors';
import { send, sleep, type CallOptions, type HttpSettings } from './http';
import type { ResponseInputItem, ResponseOptions, ResponseParameters, ResponseStreamEvent } from './responses-types';
import type { StreamEvent } from './sse';
import { readStreamConnection } from './stream-connection';

/** The wire name of each response parameter. */
const wireNames: Readonly<Record<keyof ResponseParameters, string>> = {
  instructions: 'instructions',
  tools: 'tools',
  toolChoice: 'tool_choice',
  parallelToolCalls: 'parallel_tool_calls',
  text: 'text',
  temperature: 'temperature',
  topP: 'top_p',
  maxOutputTokens: 'max_output_tokens',
  reasoning: 'reasoning',
  metadata: 'metadata',
  user: 'user',
  store: 'store',
  previousResponseId: 'previous_response_id',
  background: 'background',
  include: 'include',
};

/** The body of `POST /v1/responses`. */
export function responseBody(input: string | ResponseInputItem[] | undefined, options: ResponseOptions, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (options.model !== undefined) body['model'] = options.model;
  if (input !== undefined) body['input'] = input;
  for (const [name, wire] of Object.entries(wireNames) as [keyof ResponseParameters, string][]) {
    if (options[name] !== undefined) body[wire] = options[name];
  }
  if (stream) body['stream'] = true;
  return body;
}

/** Events after which a response's stream is over. */
const lastEvents = new Set(['response.completed', 'response.incomplete', 'response.failed', 'response.cancelled']);

/** One `data:` payload as an event; an `error` event (the stream failed outside a response) is thrown as its typed error. */
function toEvent(message: StreamEvent): ResponseStreamEvent {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch (error) {
    throw new UnavailableError(
      { status: 0, type: 'unavailable', message: `the stream sent an event that is not JSON: ${message.data.slice(0, 100)}` },
      { cause: error },
    );
  }
  const event = data as Partial<ResponseStreamEvent> & { message?: unknown; code?: unknown };
  if (typeof event.type !== 'string' || typeof event.sequence_number !== 'number')
    throw new UnavailableError({ status: 0, type: 'unavailable', message: `the stream sent an event the client does not know: ${message.data.slice(0, 100)}` });
  if (event.type === 'error') {
    const status = typeof event.code === 'string' && /^\d{3}$/.test(event.code) ? Number(event.code) : 502;
    throw createClientError({ status, type: errorTypeForStatus(status), message: typeof event.message === 'string' ? event.message : 'the stream failed' });
  }
  return event as ResponseStreamEvent;
}

/**
 * `POST /v1/responses` with `stream: true` as an async iterable of its typed events, the last being
 * response.completed (or .incomplete, .failed: the Response in it says why). A background response's stream that
 * breaks off is read again from the event after the last one seen (`GET /v1/responses/{id}?stream=true&starting_after=N`,
 * on any API instance), up to `settings.resume.maxResumes` times: nothing lost or repeated. A foreground stream cannot
 * be resumed: its break is thrown.
 */
export async function* streamResponse(settings: HttpSettings, body: Record<string, unknown>, options: CallOptions): AsyncGenerator<ResponseStreamEvent> {
  let opened = await send(settings, 'POST', '/v1/responses', body, options);
  let responseId: string | undefined;
  let lastSequence: number | undefined;
  for (let resumes = 0; ; resumes += 1) {
    const broke = yield* readResponseEvents(opened, options, settings, (event) => {
      lastSequence = event.sequence_number;
      responseId ??= event.response?.id;
    });
    if (!broke) return;
    if (body['background'] !== true || responseId === undefined || resumes >= settings.resume.maxResumes) throw broke.error;
    await sleep(settings.resume.delayMs * 2 ** resumes, options.signal);
    const query = `stream=true${lastSequence !== undefined ? `&starting_after=${lastSequence}` : ''}`;
    opened = await send(settings, 'GET', `/v1/responses/${encodeURIComponent(responseId)}?${query}`, undefined, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
}

/** Yields one connection's events (noting each); returns undefined after the last event, or how the connection broke. */
function readResponseEvents(
  opened: Awaited<ReturnType<typeof send>>,
  options: CallOptions,
  settings: HttpSettings,
  note: (event: ResponseStreamEvent) => void,
) {
  return readStreamConnection(opened, options, settings, {
    item: (raw) => {
      const event = toEvent(raw);
      note(event);
      return event;
    },
    isLast: (event) => lastEvents.has(event.type),
    endedEarly: 'the stream ended before its response was done',
  });
}
