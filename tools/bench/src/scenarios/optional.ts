import { batchScenario } from './batch';
import type { ScenarioContext } from './context';
import { overheadScenario } from './overhead';
import { streamingScenario } from './streaming';

/** Scenarios of the streaming, batch and limits features. */
export async function optionalScenarios(context: ScenarioContext, selected: ReadonlySet<string>, limitsOnRps: number): Promise<void> {
  if (selected.has('limits')) {
    // The overhead run has limits on (set high enough never to reject); this is its baseline with them off.
    const off = await overheadScenario(context, { label: 'limits off', env: { GATEWAY_LIMITS_ENABLED: 'false' } });
    const offRps = off[32]?.rps ?? NaN;
    if (!Number.isNaN(limitsOnRps)) {
      const loss = 1 - limitsOnRps / offRps;
      context.rows.push({ scenario: 'limits on c=32', metric: 'requests/s with rate limit + budgets', value: limitsOnRps, unit: '', baseline: offRps, note: 'baseline: limits off' });
      context.rows.push({ scenario: 'limits on c=32', metric: 'throughput lost to the limit checks', value: loss * 100, unit: '%', target: '< 10 %', met: loss < 0.1 });
    }
  }
  if (selected.has('streaming')) await streamingScenario(context);
  if (selected.has('batch')) await batchScenario(context);
}
