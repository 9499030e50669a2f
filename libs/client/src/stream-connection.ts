import { GatewayTimeoutError, UnavailableError } from './errors';
import type { CallOptions, HttpSettings, send } from './http';
import { readEvents, type StreamEvent } from './sse';

/** How a streamed connection broke (a retry may resume it), or undefined when its last event came. */
export type StreamBreak = { error: unknown };

/** What one route makes of a streamed connection's events. */
export interface StreamReading<T> {
  /** One event as the caller's item (noting what a resume needs, such as its id). */
  item(event: StreamEvent): T;
  /** Whether an item is the stream's last. */
  isLast(item: T): boolean;
  /** Why a connection that ended before its last item is broken. */
  endedEarly: string;
}

/**
 * Yields one connection's items; returns undefined after the last one, or how the connection broke (a break the
 * caller may resume). A timeout or the caller's abort is thrown instead. The connection is released either way.
 */
export async function* readStreamConnection<T>(
  opened: Awaited<ReturnType<typeof send>>,
  options: CallOptions,
  settings: HttpSettings,
  reading: StreamReading<T>,
): AsyncGenerator<T, StreamBreak | undefined> {
  const { response, dispose, timedOut } = opened;
  let events: AsyncGenerator<StreamEvent> | undefined;
  try {
    if (!response.body) return { error: new UnavailableError({ status: response.status, type: 'unavailable', message: 'the stream has no body' }) };
    events = readEvents(response.body);
    for (;;) {
      let next: IteratorResult<StreamEvent>;
      try {
        next = await events.next();
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        if (timedOut())
          throw new GatewayTimeoutError(
            { status: 0, type: 'timeout', message: `the stream did not end in ${options.timeoutMs ?? settings.timeoutMs} ms` },
            { cause: error },
          );
        const reason = error instanceof Error ? error.message : String(error);
        return { error: new UnavailableError({ status: 0, type: 'unavailable', message: `the stream broke off: ${reason}` }, { cause: error }) };
      }
      if (next.done) break;
      const item = reading.item(next.value);
      yield item;
      if (reading.isLast(item)) return undefined;
    }
    return { error: new UnavailableError({ status: 0, type: 'unavailable', message: reading.endedEarly }) };
  } finally {
    await events?.return(undefined).catch(() => undefined);
    dispose();
  }
}
