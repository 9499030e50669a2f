import type { Gauge } from 'prom-client';
import { createScrapeReading } from './scrape-reading';

/** A global budget as read at scrape time: what is spent (settled) in its period, and its limit, in USD. */
export interface BudgetReading {
  budget: 'daily' | 'monthly';
  spentUsd: number;
  limitUsd: number;
}

/** Circuits as kept in Redis (0 closed, 1 open, 2 half-open) and each route's providers, in failover order. */
export interface CircuitReading {
  circuits: Record<string, number>;
  routes: Record<string, readonly string[]>;
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
      if (!circuits.active) return;
      const read = await circuits.read();
      gauge.reset();
      if (!read) return;
      for (const [route, providers] of Object.entries(read.routes)) {
        circuitStates.forEach((state, value) => {
          gauge.set({ route, state }, providers.filter((provider) => (read.circuits[provider] ?? 0) === value).length);
        });
      }
    },
  };
}
