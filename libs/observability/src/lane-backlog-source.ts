import type { Gauge } from 'prom-client';

/** What a lane backlog reading gives: jobs waiting per lane, and the largest tenants' backlogs (bounded: top N + other). */
export interface LaneBacklogReading {
  lanes: Record<string, number>;
  tenants: ReadonlyArray<{ lane: string; tenant: string; backlog: number }>;
}

/** Reads the lanes at scrape time (libs/queue readLaneBacklog). */
export type LaneBacklogSource = () => Promise<LaneBacklogReading>;

/**
 * The one lane backlog source of a process (the API registers it), read once per scrape for both gauges: a
 * source that does not answer in `timeoutMs` leaves both empty for that scrape rather than stale.
 */
export function createLaneBacklogGauges(timeoutMs = 2000) {
  let source: LaneBacklogSource | undefined;
  let pending: Promise<LaneBacklogReading | undefined> | undefined;
  const read = () => {
    pending ??= (async () => {
      if (!source) return undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([source(), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)))]);
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
        // The next scrape reads again; both gauges of this scrape share the one reading.
        setImmediate(() => (pending = undefined));
      }
    })();
    return pending;
  };
  return {
    set(next: LaneBacklogSource): void {
      source = next;
    },
    async refreshLanes(gauge: Gauge<'lane'>): Promise<void> {
      const reading = await read();
      gauge.reset();
      for (const [lane, count] of Object.entries(reading?.lanes ?? {})) gauge.set({ lane }, count);
    },
    async refreshTenants(gauge: Gauge<'lane' | 'tenant'>): Promise<void> {
      const reading = await read();
      gauge.reset();
      for (const { lane, tenant, backlog } of reading?.tenants ?? []) gauge.set({ lane, tenant }, backlog);
    },
  };
}
