import type { CircuitSnapshot } from './circuit-breaker';
import { deriveProviderCircuit } from './provider-circuit';

const closed: CircuitSnapshot = { state: 'closed', consecutiveFailures: 0, openedAt: null };
const failing: CircuitSnapshot = { state: 'closed', consecutiveFailures: 2, openedAt: null };
const open = (openedAt: number, consecutiveFailures = 3): CircuitSnapshot => ({ state: 'open', consecutiveFailures, openedAt });
const halfOpen = (openedAt: number): CircuitSnapshot => ({ state: 'half_open', consecutiveFailures: 3, openedAt });

describe("a provider's circuit from its deployments'", () => {
  it('reads a lone circuit (its own, or its one deployment) exactly as it is', () => {
    for (const circuit of [closed, failing, open(1000), halfOpen(2000)]) {
      expect(deriveProviderCircuit([circuit])).toEqual({
        ...circuit,
        counts: { closed: circuit.state === 'closed' ? 1 : 0, open: circuit.state === 'open' ? 1 : 0, half_open: circuit.state === 'half_open' ? 1 : 0 },
      });
    }
  });

  it('is closed while every deployment is, with the longest run of failures among them', () => {
    expect(deriveProviderCircuit([closed, failing, closed])).toEqual({
      state: 'closed',
      consecutiveFailures: 2,
      openedAt: null,
      counts: { closed: 3, open: 0, half_open: 0 },
    });
  });

  it('is half-open while some deployments are out and one still serves, since the first of them opened', () => {
    expect(deriveProviderCircuit([open(5000, 4), closed, open(3000)])).toEqual({
      state: 'half_open',
      consecutiveFailures: 4,
      openedAt: 3000,
      counts: { closed: 1, open: 2, half_open: 0 },
    });
    // One waiting for its trial is out too, until the trial closes it.
    expect(deriveProviderCircuit([halfOpen(7000), failing])).toMatchObject({ state: 'half_open', openedAt: 7000 });
  });

  it('is half-open when every deployment is out but one awaits its trial: the next call may go through', () => {
    expect(deriveProviderCircuit([open(5000), halfOpen(1000)])).toMatchObject({
      state: 'half_open',
      openedAt: 1000,
      counts: { open: 1, half_open: 1, closed: 0 },
    });
  });

  it('is open once every deployment is open, since the last of them opened', () => {
    expect(deriveProviderCircuit([open(5000), open(3000, 7)])).toEqual({
      state: 'open',
      consecutiveFailures: 7,
      openedAt: 5000,
      counts: { closed: 0, open: 2, half_open: 0 },
    });
  });
});
