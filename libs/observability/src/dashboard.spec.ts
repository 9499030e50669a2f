import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from './metrics';

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(__dirname, '../../../ops/grafana/gateway-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };

  it('queries only metrics that exist', async () => {
    const registry = createMetrics({ app: 'test' }).registry;
    const registered = new Set((await registry.getMetricsAsJSON()).map((metric) => metric.name));
    const used = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/gateway_[a-z0-9_]+/g) ?? [])));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      if (!registered.has(base)) throw new Error(`dashboard uses ${name}, which no metric defines`);
    }
  });
});
