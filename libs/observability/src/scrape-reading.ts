/**
 * A reading taken from Redis (or elsewhere) at scrape time, shared by the gauges of one scrape: the first gauge
 * that asks starts it, the others of the same scrape get the same answer, the next scrape reads again. A source
 * that throws or does not answer in `timeoutMs` gives `undefined` (its gauges stay empty rather than stale).
 */
export function createScrapeReading<T>(timeoutMs = 2000) {
  let source: (() => Promise<T>) | undefined;
  let pending: Promise<T | undefined> | undefined;
  return {
    set(next: () => Promise<T>): void {
      source = next;
    },
    /** Whether a source was set (a process without one leaves its gauges to whoever sets them). */
    get active(): boolean {
      return source !== undefined;
    },
    read(): Promise<T | undefined> {
      pending ??= (async () => {
        if (!source) return undefined;
        let timer: NodeJS.Timeout | undefined;
        try {
          return await Promise.race([source(), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]);
        } catch {
          return undefined;
        } finally {
          clearTimeout(timer);
          setImmediate(() => (pending = undefined));
        }
      })();
      return pending;
    },
  };
}
