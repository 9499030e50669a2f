import type { Gauge } from 'prom-client';
import { createScrapeReading } from './scrape-reading';

/** A global budget as read at scrape time: what is spent (settled) in its period, and its limit, in USD. */
export interface BudgetReading {
  budget: 'daily' | 'monthly';
  spentUsd: number;
  limitUsd: number;
}

/** Circuits as kept in Redis (0 closed, 1 open, 2 half-open), each route's circuits in failover order, and each provider's. */
export interface CircuitReading {
  /** By name: a provider (with deployments declared, the state they make together), or a deployment by its id. */
  circuits: Record<string, number>;
  routes: Record<string, readonly string[]>;
  /** Each provider's deployments: those of GATEWAY_CONFIG_FILE, else its implicit one (named after it). */
  providers: Record<string, readonly string[]>;
}

const circuitStates = ['closed', 'open', 'half_open'] as const;

/**
 * The gauges an operator is paged on, read at scrape time where the process registers a source (the API does;
 * a worker reports only whether its Redis answers, and its circuits as it last saw them).
 */
export function createOpsGauges(timeoutMs = 2000) {
  const redis = createScrapeReading<boolean>(timeoutMs);
  const budgets = createScrapeReading<readonly BudgetReading[]>(timeoutMs);
  const circuits = createScrapeReading<CircuitReading>(timeoutMs);
  /** Each group's circuits (a route's, a provider's) counted by state, read afresh: a group left out loses its series. */
  const countByState = async <Label extends string>(
    gauge: Gauge<Label | 'state'>,
    label: Label,
    groups: (read: CircuitReading) => Record<string, readonly string[]>,
  ) => {
    if (!circuits.active) return;
    const read = await circuits.read();
    gauge.reset();
    if (!read) return;
    for (const [group, names] of Object.entries(groups(read))) {
      circuitStates.forEach((state, value) => {
        const labels = { [label]: group, state } as Record<Label | 'state', string>;
        gauge.set(labels, names.filter((name) => (read.circuits[name] ?? 0) === value).length);
      });
    }
  };
  return {
    setRedisCheck: redis.set,
    setBudgetSource: budgets.set,
    setCircuitSource: circuits.set,
    async refreshRedis(gauge: Gauge): Promise<void> {
      if (!redis.active) return;
      gauge.set((await redis.read()) === true ? 1 : 0);
    },
    async refreshBudgets(gauge: Gauge<'budget'>, pick: (reading: BudgetReading) => number): Promise<void> {
      if (!budgets.active) return;
      const read = await budgets.read();
      gauge.reset();
      for (const reading of read ?? []) gauge.set({ budget: reading.budget }, pick(reading));
    },
    /** Sets each provider's circuit from Redis; without a source the process's own last-seen values stay. */
    async refreshCircuits(gauge: Gauge<'provider'>): Promise<void> {
      if (!circuits.active) return;
      const read = await circuits.read();
      for (const [provider, state] of Object.entries(read?.circuits ?? {})) gauge.set({ provider }, state);
    },
    async refreshRoutes(gauge: Gauge<'route' | 'state'>): Promise<void> {
      await countByState(gauge, 'route', (read) => read.routes);
    },
    async refreshProviders(gauge: Gauge<'provider' | 'state'>): Promise<void> {
      await countByState(gauge, 'provider', (read) => read.providers);
    },
  };
}
