import type { Gauge } from 'prom-client';
import { createScrapeReading } from './scrape-reading';

/**
 * What a lane backlog reading gives: jobs waiting per lane, the largest tenants' backlogs (bounded: top N + other),
 * and per lane the age in seconds of its oldest waiting job (0 when none waits).
 */
export interface LaneBacklogReading {
  lanes: Record<string, number>;
  tenants: ReadonlyArray<{ lane: string; tenant: string; backlog: number }>;
  oldestAgeSeconds?: Record<string, number>;
}

/** Reads the lanes at scrape time (libs/queue readLaneBacklog and readLaneOldest). */
export type LaneBacklogSource = () => Promise<LaneBacklogReading>;

/**
 * The one lane backlog source of a process (the API registers it), read once per scrape for its three gauges: a
 * source that does not answer in `timeoutMs` leaves them empty for that scrape rather than stale.
 */
export function createLaneBacklogGauges(timeoutMs = 2000) {
  const reading = createScrapeReading<LaneBacklogReading>(timeoutMs);
  return {
    set: reading.set,
    async refreshLanes(gauge: Gauge<'lane'>): Promise<void> {
      const read = await reading.read();
      gauge.reset();
      for (const [lane, count] of Object.entries(read?.lanes ?? {})) gauge.set({ lane }, count);
    },
    async refreshTenants(gauge: Gauge<'lane' | 'tenant'>): Promise<void> {
      const read = await reading.read();
      gauge.reset();
      for (const { lane, tenant, backlog } of read?.tenants ?? []) gauge.set({ lane, tenant }, backlog);
    },
    async refreshOldest(gauge: Gauge<'lane'>): Promise<void> {
      const read = await reading.read();
      gauge.reset();
      for (const [lane, seconds] of Object.entries(read?.oldestAgeSeconds ?? {})) gauge.set({ lane }, seconds);
    },
  };
}
