/** What a choice among deployments weighs: a weight, and how busy this worker sees it. */
export interface Choosable {
  readonly id: string;
  readonly weight: number;
}

/** Calls in flight and recent latency of each deployment, as this worker sees them (for `least_busy`). */
export function createBusyTracker() {
  const state = new Map<string, { inFlight: number; latencyMs: number }>();
  const of = (id: string) => {
    let entry = state.get(id);
    if (!entry) {
      entry = { inFlight: 0, latencyMs: 0 };
      state.set(id, entry);
    }
    return entry;
  };
  return {
    begin(id: string): void {
      of(id).inFlight += 1;
    },
    /** A call ended after `latencyMs`: the recent latency moves a fifth of the way towards it. */
    end(id: string, latencyMs: number): void {
      const entry = of(id);
      entry.inFlight = Math.max(0, entry.inFlight - 1);
      entry.latencyMs = entry.latencyMs === 0 ? latencyMs : entry.latencyMs * 0.8 + latencyMs * 0.2;
    },
    /** Lower is less busy: the calls it would be waiting behind, each as long as its recent latency (1 ms unknown). */
    load(id: string): number {
      const entry = state.get(id);
      return entry ? (entry.inFlight + 1) * Math.max(1, entry.latencyMs) : 1;
    },
  };
}

export type BusyTracker = ReturnType<typeof createBusyTracker>;

/** A weighted order: each place drawn with the chance of its weight among those left (so the first follows the weights). */
export function weightedOrder<T extends Choosable>(items: readonly T[], random: () => number = Math.random): T[] {
  if (items.length < 2) return [...items];
  const left = [...items];
  const order: T[] = [];
  while (left.length > 0) {
    const total = left.reduce((sum, item) => sum + item.weight, 0);
    let draw = random() * total;
    let index = left.findIndex((item) => (draw -= item.weight) < 0);
    if (index < 0) index = left.length - 1;
    order.push(left.splice(index, 1)[0]!);
  }
  return order;
}

/** The least busy first (load divided by weight, so a heavier deployment takes more); ties keep their weighted order. */
export function leastBusyOrder<T extends Choosable>(items: readonly T[], busy: BusyTracker, random: () => number = Math.random): T[] {
  if (items.length < 2) return [...items];
  const loads = new Map(items.map((item) => [item.id, busy.load(item.id) / item.weight]));
  return weightedOrder(items, random).sort((left, right) => loads.get(left.id)! - loads.get(right.id)!);
}

/**
 * Smooth weighted round robin (as nginx spreads upstreams), per set of deployments: each pick raises every one by
 * its weight and lowers the one picked by the sum, so over any run of picks each gets its share within one pick,
 * interleaved rather than in bursts. The rest follow by weight, for failover.
 */
export function createSmoothWeights() {
  const sets = new Map<string, Map<string, number>>();
  return {
    order<T extends Choosable>(items: readonly T[]): T[] {
      if (items.length < 2) return [...items];
      const key = items.map((item) => item.id).join('\n');
      let current = sets.get(key);
      if (!current) {
        current = new Map();
        if (sets.size < 10_000) sets.set(key, current);
      }
      const total = items.reduce((sum, item) => sum + item.weight, 0);
      let best: T | undefined;
      for (const item of items) {
        const value = (current.get(item.id) ?? 0) + item.weight;
        current.set(item.id, value);
        if (!best || value > current.get(best.id)!) best = item;
      }
      current.set(best!.id, current.get(best!.id)! - total);
      return [best!, ...items.filter((item) => item !== best).sort((left, right) => right.weight - left.weight)];
    },
  };
}

export type SmoothWeights = ReturnType<typeof createSmoothWeights>;

export type Routing = 'weighted' | 'least_busy';

/** How a worker chooses: its view of how busy each deployment is, and its weighted rotation (random order without one). */
export interface ChoiceContext {
  busy: BusyTracker;
  smooth?: SmoothWeights;
  random?: () => number;
}

export function orderBy<T extends Choosable>(routing: Routing, items: readonly T[], choice: ChoiceContext): T[] {
  if (routing === 'least_busy') return leastBusyOrder(items, choice.busy, choice.random);
  return choice.smooth ? choice.smooth.order(items) : weightedOrder(items, choice.random);
}
