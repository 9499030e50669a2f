import type { CircuitSnapshot, CircuitState } from './circuit-breaker';

/** How many of a provider's circuits are in each state. */
export type CircuitCounts = Record<CircuitState, number>;

/** A provider's circuit as its deployments' circuits make it, with how many of them are in each state. */
export interface ProviderCircuit extends CircuitSnapshot {
  counts: CircuitCounts;
}

/**
 * A provider's circuit from the circuits its calls go through: its deployments' (GATEWAY_CONFIG_FILE), or its own
 * alone (its implicit deployment's), which then reads exactly as it is. `closed` while every one is closed, `open`
 * once every one is open, `half_open` otherwise: some are out (or wait for their trial) and the provider serves, but
 * not whole. `consecutiveFailures` is the longest run among them. `openedAt`: while open, when the last one opened
 * (since when none serves); while half-open, when the first of those out opened (since when it is not whole); null
 * while closed.
 */
export function deriveProviderCircuit(circuits: readonly CircuitSnapshot[]): ProviderCircuit {
  const counts: CircuitCounts = { closed: 0, open: 0, half_open: 0 };
  for (const circuit of circuits) counts[circuit.state] += 1;
  const only = circuits.length === 1 ? circuits[0] : undefined;
  if (only) return { ...only, counts };
  const state: CircuitState = counts.closed === circuits.length ? 'closed' : counts.open === circuits.length ? 'open' : 'half_open';
  const consecutiveFailures = Math.max(0, ...circuits.map((circuit) => circuit.consecutiveFailures));
  const opened = circuits.filter((circuit) => circuit.state !== 'closed' && circuit.openedAt !== null).map((circuit) => circuit.openedAt!);
  const openedAt = state === 'closed' || opened.length === 0 ? null : state === 'open' ? Math.max(...opened) : Math.min(...opened);
  return { state, consecutiveFailures, openedAt, counts };
}
