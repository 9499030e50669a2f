import type { ScenarioContext } from './context';

/** Scenarios whose routes land with later features (streaming, batches, limits switch). */
export async function optionalScenarios(context: ScenarioContext, selected: ReadonlySet<string>, _singleRps: number): Promise<void> {
  for (const name of ['streaming', 'batch', 'limits'] as const) {
    if (selected.has(name)) context.log(`${name}: not measured yet`);
  }
}
