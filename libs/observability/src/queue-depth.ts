import type { Gauge } from 'prom-client';

/** A queue whose job counts are read at scrape time (e.g. BullMQ's getJobCounts). */
export interface QueueDepthSource {
  /** The queue's name: the `queue` label. */
  queue: string;
  /** Job counts by state (waiting, active, delayed, failed, ...). */
  counts(): Promise<Record<string, number>>;
}

/** The states always exported, so a dashboard shows 0 rather than nothing. */
const reportedStates = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`queue counts took over ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The queues whose depth a process reports. Counts are asked for at scrape time (one cheap Redis round trip per
 * queue); a queue that does not answer in time is left out of that scrape instead of showing stale numbers.
 */
export function createQueueDepthSources(timeoutMs = 2000) {
  const sources = new Set<QueueDepthSource>();
  return {
    add(source: QueueDepthSource): () => void {
      sources.add(source);
      return () => sources.delete(source);
    },
    async refresh(gauge: Gauge<'queue' | 'state'>): Promise<void> {
      const results = await Promise.all(
        [...sources].map(async (source) => ({ source, counts: await withTimeout(source.counts(), timeoutMs).catch(() => undefined) })),
      );
      gauge.reset();
      for (const { source, counts } of results) {
        if (!counts) continue;
        for (const state of new Set([...reportedStates, ...Object.keys(counts)])) {
          gauge.set({ queue: source.queue, state }, counts[state] ?? 0);
        }
      }
    },
  };
}
