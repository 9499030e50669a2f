import type { ProviderId } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { deploymentTable } from '@gateway/providers';
import { deriveProviderCircuit, type CircuitBreaker, type CircuitSnapshot, type ProviderCircuit } from '@gateway/resilience';

/** A circuit by name, read at most once for one answer (a provider and its deployments then agree). */
export type SnapshotOf = (circuit: string) => Promise<CircuitSnapshot>;

/** Reads each circuit named once, however many times it is asked for: one reading for one answer or one scrape. */
export function snapshotsOnce(breaker: Pick<CircuitBreaker, 'snapshot'>): SnapshotOf {
  const read = new Map<string, Promise<CircuitSnapshot>>();
  return (circuit) => {
    let reading = read.get(circuit);
    if (!reading) read.set(circuit, (reading = breaker.snapshot(circuit)));
    return reading;
  };
}

/** A provider's circuit as shown: derived from its deployments' where GATEWAY_CONFIG_FILE declares some. */
export interface ShownProviderCircuit extends ProviderCircuit {
  source: 'provider' | 'deployments';
}

/**
 * Each provider's circuit as operators must see it. With deployments of it declared, calls go through their circuits
 * only and its own never moves: it is then the one they make together (deriveProviderCircuit); without, its own.
 */
export function createProviderCircuits(config: Config) {
  const table = deploymentTable(config);
  const circuitsOf = (provider: ProviderId) => table.ofProvider(provider).map((deployment) => deployment.id);
  const declares = (provider: ProviderId) => table.ofProvider(provider).some((deployment) => !deployment.implicit);
  return {
    /** The circuits a provider's calls go through: its deployments', else its own (its implicit deployment's). */
    circuitsOf,
    declares,
    async read(provider: ProviderId, snapshot: SnapshotOf): Promise<ShownProviderCircuit> {
      const circuit = deriveProviderCircuit(await Promise.all(circuitsOf(provider).map(snapshot)));
      return { ...circuit, source: declares(provider) ? 'deployments' : 'provider' };
    },
  };
}
