import { GatewayError } from '@gateway/contracts';

/** Awaits a promise expected to reject with a GatewayError, and returns that error (fails otherwise). */
export async function gatewayFailure(promise: Promise<unknown>): Promise<GatewayError> {
  const outcome = await promise.then(
    () => new Error('expected a GatewayError, got a success'),
    (caught: unknown) => caught,
  );
  if (!(outcome instanceof GatewayError)) throw outcome instanceof Error ? outcome : new Error(`expected a GatewayError, got ${String(outcome)}`);
  return outcome;
}

/** Reads an async iterable to its end. */
export async function collectAll<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Polls until check() returns a truthy value, or fails after timeoutMs (for slow, shared machines). */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 15_000, intervalMs = 50): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Something a suite started: a gateway or Redis (stop) or a fake upstream (close). */
type Stoppable = { stop(): Promise<void> } | { close(): Promise<void> };

/** Stops what a suite started, in the order given (apps before what they use); parts never started are skipped. */
export async function stopAll(...parts: ReadonlyArray<Stoppable | undefined>): Promise<void> {
  for (const part of parts) {
    if (!part) continue;
    await ('stop' in part ? part.stop() : part.close());
  }
}
