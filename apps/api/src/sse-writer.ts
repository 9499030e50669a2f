import type { ServerResponse } from 'node:http';

export interface SseWriterOptions {
  /** Most bytes a slow client may leave unsent before the stream is given up. */
  maxBufferBytes: number;
  /** How long an ended stream may take to drain to a slow client before its socket is destroyed. */
  drainTimeoutMs?: number;
}

/**
 * Writes `text/event-stream`. Node buffers what the socket does not take at once; this bounds that buffer:
 * `event` returns false once more than maxBufferBytes wait, and the caller then ends the stream.
 */
export function createSseWriter(res: ServerResponse, options: SseWriterOptions) {
  let started = false;
  const write = (text: string): boolean => {
    if (res.writableEnded || res.destroyed) return false;
    res.write(text);
    return res.writableLength <= options.maxBufferBytes;
  };
  return {
    get started() {
      return started;
    },
    /** Sends status 200 and the stream headers (no proxy buffering, no caching). */
    start(): void {
      if (started) return;
      started = true;
      res.statusCode = 200;
      res.setHeader('content-type', 'text/event-stream; charset=utf-8');
      res.setHeader('cache-control', 'no-cache, no-transform');
      res.setHeader('x-accel-buffering', 'no');
      res.setHeader('connection', 'keep-alive');
    },
    /**
     * One `data:` event of a JSON payload (with its `id:` and its `event:` name when given); false when the client is
     * too far behind (or gone).
     */
    event(payload: unknown, id?: string, name?: string): boolean {
      if (name === undefined) return this.data(JSON.stringify(payload), id);
      this.start();
      return write(`event: ${name}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(payload)}\n\n`);
    },
    /** One `data:` event of a text as it is (one line, e.g. OpenAI's `[DONE]`), with its `id:` when given. */
    data(text: string, id?: string): boolean {
      this.start();
      return write(id === undefined ? `data: ${text}\n\n` : `id: ${id}\ndata: ${text}\n\n`);
    },
    /** A comment line (`: ping`): keeps idle connections open through load balancers. */
    comment(text: string): boolean {
      this.start();
      return write(`: ${text}\n\n`);
    },
    /** Ends the response; a client that does not read what is left in time loses its socket. */
    end(): void {
      if (res.writableEnded) return;
      res.end();
      if (res.writableLength > 0) {
        const timer = setTimeout(() => res.destroy(), options.drainTimeoutMs ?? 10_000);
        timer.unref();
        res.once('close', () => clearTimeout(timer));
      }
    },
  };
}

export type SseWriter = ReturnType<typeof createSseWriter>;
