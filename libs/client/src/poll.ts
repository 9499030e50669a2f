import { GatewayTimeoutError } from './errors';
import type { WaitOptions } from './types';

/** Gets a view every `pollIntervalMs` (default 500) until `isDone`; a timeout is a GatewayTimeoutError naming `what`. */
export async function poll<T>(
  get: (signal: AbortSignal | undefined) => Promise<T>,
  isDone: (view: T) => boolean,
  what: string,
  options: WaitOptions,
): Promise<T> {
  const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Infinity;
  for (;;) {
    const view = await get(options.signal);
    if (isDone(view)) return view;
    if (Date.now() >= deadline) throw new GatewayTimeoutError({ status: 0, type: 'timeout', message: `${what} did not finish in ${options.timeoutMs} ms` });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, Math.min(options.pollIntervalMs ?? 500, Math.max(0, deadline - Date.now())));
      options.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(options.signal?.reason);
        },
        { once: true },
      );
    });
  }
}
