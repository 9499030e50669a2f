import type { ClusterLayout } from './cluster-layout';
import type { KeyFamily, MasterTrace } from './cluster-shares';

/** The families that carry an API key's id: its ledger and its rate bucket. */
export const perKeyFamilies: readonly KeyFamily[] = ['per-key ledger', 'per-key rate bucket'];

/** The per-master counts a design with per-key slots would give, from today's trace. */
export interface SpreadProjection {
  perMaster: number[];
  /** How many of the API keys' own slots (`{key:<id>}`) each master serves. */
  keysPerMaster: number[];
  /** Script calls the split adds (one per call of a script that touched a key's keys and the shared ledger). */
  addedCalls: number;
}

/**
 * Moves each API key's own commands (its ledger and rate bucket) to the master of `{key:<id>}`, with the `extra`
 * families (e.g. the jobs' billing records, which a key's job could keep in its key's slot) shared out over the keys
 * the same way, and adds one script call there for each call of a script that touched both a key's keys and a
 * family left in `{spend}` (such a script becomes two: the key's part in the key's slot, the rest in `{spend}`).
 * Everything else stays where it is.
 */
export async function spreadProjection(
  byMaster: readonly MasterTrace[],
  served: readonly number[],
  keys: readonly { id: string }[],
  layout: ClusterLayout,
  extra: readonly KeyFamily[] = [],
): Promise<SpreadProjection> {
  const moved = [...perKeyFamilies, ...extra];
  const stays: readonly KeyFamily[] = (['global ledger', 'per-job billing'] as const).filter((family) => !extra.includes(family));
  const movedOn = (index: number) => moved.reduce((sum, family) => sum + (byMaster[index]?.byFamily.get(family) ?? 0), 0);
  const perMaster = served.map((value, index) => value - movedOn(index));
  const keysPerMaster = served.map(() => 0);
  let addedCalls = 0;
  for (const trace of byMaster)
    for (const [script, families] of trace.byScript)
      if (moved.some((family) => families.has(family)) && stays.some((family) => families.has(family))) addedCalls += trace.scriptCalls.get(script) ?? 0;
  const weights = new Map<string, number>();
  for (const trace of byMaster) for (const [id, count] of trace.byApiKey) weights.set(id, (weights.get(id) ?? 0) + count);
  const total = [...weights.values()].reduce((sum, value) => sum + value, 0);
  const extraCommands = byMaster.reduce((sum, trace) => sum + extra.reduce((inner, family) => inner + (trace.byFamily.get(family) ?? 0), 0), 0);
  for (const { id } of keys) {
    const home = await layout.masterOf(`{key:${id}}`);
    if (home < 0) continue;
    keysPerMaster[home] = (keysPerMaster[home] ?? 0) + 1;
    const own = weights.get(id) ?? 0;
    perMaster[home] = (perMaster[home] ?? 0) + own + (total === 0 ? 0 : ((addedCalls + extraCommands) * own) / total);
  }
  return { perMaster, keysPerMaster, addedCalls };
}
