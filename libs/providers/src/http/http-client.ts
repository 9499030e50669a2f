import { Agent, errors as undiciErrors } from 'undici';
import { GatewayError, callCancelled, upstreamFailure, upstreamTimeout, type ProviderId } from '@gateway/contracts';
import { parseRetryAfter, truncate, upstreamHttpError } from './upstream-error';
import { watchStream, type UpstreamBody } from './stream-watchdog';
import { scrubHeaderSecrets } from './scrub-secrets';

export interface HttpClientOptions {
  provider: ProviderId;
  /** Whole-call deadline of a JSON call (headers and body); for a stream, the deadline of its headers and the longest silence between its chunks. */
  timeoutMs: number;
  /** Largest answer body read, in bytes. */
  maxResponseBytes?: number;
  /** Longest a stream may last in total, however lively (default 30 minutes). */
  streamMaxMs?: number;
  /** Largest streamed answer, in bytes (default 16 MiB, as a JSON answer). */
  maxStreamBytes?: number;
  /** Keep-alive connections per upstream origin. */
  connections?: number;
}

/** An answer whose status is 2xx, body still unread. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
  /** Aborted when the call is cut (caller, deadline, or a silent stream). */
  signal: AbortSignal;
  /** Ends the call's deadline and its watch on the caller's signal (readJson does; a stream does when it ends). */
  release(): void;
}

/** Per-call options of postJson. */
export interface PostOptions {
  /** A streamed answer: the deadline covers the headers, then each silence between chunks (not the whole call). */
  stream?: boolean;
}

export interface HttpClient {
  /** POSTs JSON; non-2xx answers are read (bounded) and thrown as GatewayError. */
  postJson(url: string, headers: Record<string, string>, payload: unknown, signal: AbortSignal, options?: PostOptions): Promise<UpstreamResponse>;
  /** Reads a body as JSON within the size limit (the client's, or `maxBytes` for an answer known to be larger, such as embeddings). */
  readJson(response: UpstreamResponse, options?: { maxBytes?: number }): Promise<unknown>;
  close(): Promise<void>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_STREAM_BYTES = 16 * 1024 * 1024;
const DEFAULT_STREAM_MAX_MS = 30 * 60_000;

/** Reads a body into a string, failing past maxBytes (and destroying the socket). */
export async function readBounded(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: (error?: Error) => void }, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy?.();
      throw new Error(`answer larger than ${maxBytes} bytes`);
    }
    // Copied once, by concat, into place (not first each chunk on its own).
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Pulls a human message out of the usual upstream error bodies ({error:{message}}, {error:"..."}, {message}). */
export function extractUpstreamMessage(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      const error = record['error'];
      if (typeof error === 'string') return error;
      if (error && typeof error === 'object' && typeof (error as Record<string, unknown>)['message'] === 'string') {
        return (error as Record<string, string>)['message'];
      }
      if (typeof record['message'] === 'string') return record['message'];
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const trimmed = text.trim();
  return trimmed ? truncate(trimmed, 300) : undefined;
}

/** Keep-alive pooled client (undici): ~1.6x the throughput of global fetch at a fraction of its CPU. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const agent = new Agent({
    connections: options.connections ?? 256,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: Math.min(options.timeoutMs, 10_000) },
  });

  const toError = (error: unknown, signal: AbortSignal, callerSignal: AbortSignal): GatewayError => {
    if (error instanceof GatewayError) return error;
    if (callerSignal.aborted) return callCancelled(options.provider, error);
    if (signal.aborted || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
      return upstreamTimeout(options.provider, options.timeoutMs, error);
    }
    const code = (error as { code?: string } | null)?.code;
    return upstreamFailure(options.provider, `connection failed${code ? ` (${code})` : ''}`, error);
  };

  return {
    async postJson(url, headers, payload, callerSignal, postOptions = {}) {
      // One controller per call, cut by the caller, the deadline, or (streams) a missing header or a silence:
      // cheaper than AbortSignal.timeout + AbortSignal.any (~30 µs a call on Node 20), and released when done.
      const controller = new AbortController();
      const { signal } = controller;
      const onCallerAbort = () => controller.abort(callerSignal.reason);
      if (callerSignal.aborted) onCallerAbort();
      else callerSignal.addEventListener('abort', onCallerAbort, { once: true });
      // A JSON call has one deadline; a stream has a deadline for its headers, then one per silence (watchStream).
      const deadline = setTimeout(
        () => controller.abort(new Error('deadline')),
        postOptions.stream ? (options.streamMaxMs ?? DEFAULT_STREAM_MAX_MS) : options.timeoutMs,
      );
      deadline.unref();
      const headersTimer = postOptions.stream ? setTimeout(() => controller.abort(new Error('no headers in time')), options.timeoutMs) : undefined;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        clearTimeout(deadline);
        clearTimeout(headersTimer);
        callerSignal.removeEventListener('abort', onCallerAbort);
      };
      try {
        const target = new URL(url);
        const response = await agent.request({
          origin: target.origin,
          path: target.pathname + target.search,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(payload),
          signal,
        });
        if (response.statusCode < 200 || response.statusCode >= 300) {
          const text = await readBounded(response.body, 64 * 1024).catch(() => '');
          // An upstream may echo the key it was sent (e.g. "invalid key sk-..."): that text reaches clients.
          const message = extractUpstreamMessage(text);
          throw upstreamHttpError(
            options.provider,
            response.statusCode,
            message === undefined ? undefined : scrubHeaderSecrets(message, headers),
            parseRetryAfter(response.headers['retry-after']),
          );
        }
        if (!postOptions.stream) return { status: response.statusCode, headers: response.headers, body: response.body, signal, release };
        clearTimeout(headersTimer);
        const body = watchStream(response.body, {
          provider: options.provider,
          idleMs: options.timeoutMs,
          maxBytes: options.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES,
          idle: controller,
          onEnd: release,
        });
        return { status: response.statusCode, headers: response.headers, body, signal, release };
      } catch (error) {
        release();
        throw toError(error, signal, callerSignal);
      }
    },
    async readJson(response, readOptions = {}) {
      let text: string;
      try {
        text = await readBounded(response.body, readOptions.maxBytes ?? maxResponseBytes);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('answer larger')) throw upstreamFailure(options.provider, error.message);
        throw toError(error, response.signal, new AbortController().signal);
      } finally {
        response.release();
      }
      try {
        return JSON.parse(text);
      } catch (error) {
        throw upstreamFailure(options.provider, 'answer is not valid JSON', error);
      }
    },
    async close() {
      await agent.close();
    },
  };
}
