import { errorBodySchema, errorTypeSchema } from '@gateway/contracts';
import { GatewayTimeoutError, UnavailableError, createClientError, errorTypeForStatus, parseRetryAfter, type GatewayClientError } from './errors';

/** Retry policy: off unless asked for. Only 429 and 503 are retried (and network errors of GET/DELETE). */
export interface RetryOptions {
  /** Retries after the first try (default 0: no retry). */
  maxRetries?: number;
  /** First backoff when the gateway gives no Retry-After (default 500 ms), doubled each retry. */
  baseDelayMs?: number;
  /** Longest wait between tries, Retry-After included (default 30 s). */
  maxDelayMs?: number;
}

/** How one call is made. */
export interface CallOptions {
  /** Aborts the call (the gateway then cancels the upstream call where it can). */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
  /** Sent as `Idempotency-Key`: a POST that carries one is retried on network errors too (the gateway dedupes it). */
  idempotencyKey?: string;
  /** Extra headers of this call (e.g. `Last-Event-ID`). */
  headers?: Record<string, string>;
}

/** Resumption of broken streams (on by default). */
export interface ResumeOptions {
  /** Reconnections of one stream before its break is thrown (default 3; 0 turns resumption off). */
  maxResumes?: number;
  /** Wait before each reconnection (default 250 ms, doubled each time). */
  delayMs?: number;
}

export interface HttpSettings {
  baseUrl: string;
  token: string | undefined;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  fetch: typeof fetch;
  headers: Record<string, string>;
  resume: Required<ResumeOptions>;
}

/** What both clients are built from (see GatewayLLMClientOptions). */
export interface ConnectionOptions {
  baseUrl: string;
  token?: string | undefined;
  timeoutMs?: number;
  retry?: RetryOptions;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  resume?: ResumeOptions;
}

/** The settings of a client's calls, its defaults applied. */
export function httpSettings(options: ConnectionOptions, defaultTimeoutMs: number): HttpSettings {
  return {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    token: options.token,
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
    retry: { maxRetries: options.retry?.maxRetries ?? 0, baseDelayMs: options.retry?.baseDelayMs ?? 500, maxDelayMs: options.retry?.maxDelayMs ?? 30_000 },
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    headers: options.headers ?? {},
    resume: { maxResumes: options.resume?.maxResumes ?? 3, delayMs: options.resume?.delayMs ?? 250 },
  };
}

/** A new Idempotency-Key (random; `crypto.randomUUID` exists in Node 20 and browsers). */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** A body sent as it is (e.g. JSONL), not as JSON. */
export class RawBody {
  constructor(
    readonly text: string,
    readonly contentType: string,
  ) {}
}

/** One signal that fires on the caller's abort or on the timeout; `timedOut` tells which. */
export function deadlineSignal(timeoutMs: number, callerSignal: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no answer in ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) onAbort();
  else callerSignal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Waits ms, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Turns an error answer into the client's typed error. */
export async function errorFromResponse(response: Response): Promise<GatewayClientError> {
  const text = await response.text().catch(() => '');
  let parsedBody: unknown;
  try {
    parsedBody = JSON.parse(text);
  } catch {
    parsedBody = undefined;
  }
  const parsed = errorBodySchema.safeParse(parsedBody);
  const retryAfter = parseRetryAfter(response.headers.get('retry-after')) ?? (parsed.success ? parsed.data.error.retry_after_seconds : undefined);
  if (parsed.success) {
    const { type, message, request_id: requestId, attempts, job_id: jobId } = parsed.data.error;
    return createClientError({ status: response.status, type, message, retryAfter, requestId, attempts, jobId });
  }
  // OpenAI's error shape (the OpenAI dialects): `code` is the gateway's type, `param` the field a 400 is about.
  const openAi = parsedBody as { error?: { message?: unknown; code?: unknown; param?: unknown } } | undefined;
  if (typeof openAi?.error?.message === 'string') {
    const code = errorTypeSchema.safeParse(openAi.error.code);
    const param = typeof openAi.error.param === 'string' ? openAi.error.param : undefined;
    return createClientError({
      status: response.status,
      type: code.success ? code.data : errorTypeForStatus(response.status),
      message: openAi.error.message,
      retryAfter,
      ...(param !== undefined ? { param } : {}),
    });
  }
  return createClientError({
    status: response.status,
    type: errorTypeForStatus(response.status),
    message: `HTTP ${response.status}: ${text.slice(0, 200)}`,
    retryAfter,
  });
}

/** Sends one request with timeout, abort and the retry policy; returns the successful Response (its body still under the deadline until dispose). */
export async function send(
  settings: HttpSettings,
  method: string,
  path: string,
  body: unknown,
  options: CallOptions = {},
): Promise<{ response: Response; dispose: () => void; timedOut: () => boolean }> {
  // A POST carrying an Idempotency-Key may be sent again: the gateway answers the repeat with the same job.
  const idempotent = method === 'GET' || method === 'DELETE' || options.idempotencyKey !== undefined;
  for (let attempt = 0; ; attempt += 1) {
    const deadline = deadlineSignal(options.timeoutMs ?? settings.timeoutMs, options.signal);
    let response: Response;
    try {
      response = await settings.fetch(`${settings.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json, text/event-stream',
          ...settings.headers,
          ...options.headers,
          ...(options.idempotencyKey !== undefined ? { 'idempotency-key': options.idempotencyKey } : {}),
          // A form's Content-Type (with its boundary) is fetch's to set.
          ...(body !== undefined && !(body instanceof FormData) ? { 'content-type': body instanceof RawBody ? body.contentType : 'application/json' } : {}),
          ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}),
        },
        ...(body !== undefined ? { body: body instanceof RawBody ? body.text : body instanceof FormData ? body : JSON.stringify(body) } : {}),
        signal: deadline.signal,
      });
    } catch (error) {
      deadline.dispose();
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const failure = deadline.timedOut()
        ? new GatewayTimeoutError(
            { status: 0, type: 'timeout', message: `the gateway gave no answer in ${options.timeoutMs ?? settings.timeoutMs} ms` },
            { cause: error },
          )
        : new UnavailableError(
            { status: 0, type: 'unavailable', message: `the gateway could not be reached: ${error instanceof Error ? error.message : String(error)}` },
            { cause: error },
          );
      if (idempotent && !deadline.timedOut() && attempt < settings.retry.maxRetries) {
        await sleep(Math.min(settings.retry.baseDelayMs * 2 ** attempt, settings.retry.maxDelayMs), options.signal);
        continue;
      }
      throw failure;
    }
    if (response.ok) return { response, dispose: deadline.dispose, timedOut: deadline.timedOut };
    const error = await errorFromResponse(response);
    deadline.dispose();
    // Only the gateway's own "later, please" is retried; a 4xx of the caller's making never is.
    if ((response.status === 429 || response.status === 503) && attempt < settings.retry.maxRetries) {
      const wait = error.retryAfter !== undefined ? error.retryAfter * 1000 : settings.retry.baseDelayMs * 2 ** attempt;
      await sleep(Math.min(wait, settings.retry.maxDelayMs), options.signal);
      continue;
    }
    throw error;
  }
}

/** Sends a request and parses its JSON answer. */
export async function sendJson<T>(settings: HttpSettings, method: string, path: string, body?: unknown, options?: CallOptions): Promise<T> {
  const { response, dispose } = await send(settings, method, path, body, options);
  try {
    return (await response.json()) as T;
  } finally {
    dispose();
  }
}
