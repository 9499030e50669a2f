import { batchScenario } from './batch';
import type { ScenarioContext } from './context';
import { streamingScenario } from './streaming';

/** Scenarios of the streaming, batch and limits features. */
export async function optionalScenarios(context: ScenarioContext, selected: ReadonlySet<string>, _singleRps: number): Promise<void> {
  if (selected.has('streaming')) await streamingScenario(context);
  if (selected.has('batch')) await batchScenario(context);
  if (selected.has('limits')) context.log('limits: not measured yet');
}
