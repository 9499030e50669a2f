import { createMetrics } from './metrics';

const text = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  (await metrics.registry.getSingleMetricAsString(name)).split('\n').filter((line) => !line.startsWith('#'));

describe('the gauges an operator is paged on', () => {
  it("count each route's providers by circuit state, read from the source at scrape time", async () => {
    const metrics = createMetrics({ app: 'api', defaultMetrics: false });
    metrics.setCircuitSource(async () => ({
      circuits: { openrouter: 1, anthropic: 2, mock: 0 },
      routes: { default: ['openrouter', 'anthropic'] },
      providers: { openrouter: ['openrouter'], anthropic: ['anthropic'], mock: ['mock'] },
    }));
    expect(await text(metrics, 'gateway_route_providers')).toEqual([
      'gateway_route_providers{route="default",state="closed",app="api"} 0',
      'gateway_route_providers{route="default",state="open",app="api"} 1',
      'gateway_route_providers{route="default",state="half_open",app="api"} 1',
    ]);
    expect(await text(metrics, 'gateway_circuit_breaker_state')).toEqual([
      'gateway_circuit_breaker_state{provider="openrouter",app="api"} 1',
      'gateway_circuit_breaker_state{provider="anthropic",app="api"} 2',
      'gateway_circuit_breaker_state{provider="mock",app="api"} 0',
    ]);
  });

  it("count each provider's deployments by circuit state, beside the state they make together", async () => {
    const metrics = createMetrics({ app: 'api', defaultMetrics: false });
    // or-a is open, or-b closed: openrouter reads half-open (as the API derives it), its deployments one of each.
    metrics.setCircuitSource(async () => ({
      circuits: { 'or-a': 1, 'or-b': 0, openrouter: 2, ollama: 0 },
      routes: { default: ['or-a', 'or-b', 'ollama'] },
      providers: { openrouter: ['or-a', 'or-b'], ollama: ['ollama'] },
    }));
    expect(await text(metrics, 'gateway_provider_deployments')).toEqual([
      'gateway_provider_deployments{provider="openrouter",state="closed",app="api"} 1',
      'gateway_provider_deployments{provider="openrouter",state="open",app="api"} 1',
      'gateway_provider_deployments{provider="openrouter",state="half_open",app="api"} 0',
      'gateway_provider_deployments{provider="ollama",state="closed",app="api"} 1',
      'gateway_provider_deployments{provider="ollama",state="open",app="api"} 0',
      'gateway_provider_deployments{provider="ollama",state="half_open",app="api"} 0',
    ]);
    expect(await text(metrics, 'gateway_route_providers')).toEqual([
      'gateway_route_providers{route="default",state="closed",app="api"} 2',
      'gateway_route_providers{route="default",state="open",app="api"} 1',
      'gateway_route_providers{route="default",state="half_open",app="api"} 0',
    ]);
  });

  it('leave a process without a circuit source its own last-seen values (a worker)', async () => {
    const metrics = createMetrics({ app: 'worker', defaultMetrics: false });
    metrics.circuitState.set({ provider: 'openrouter' }, 1);
    expect(await text(metrics, 'gateway_circuit_breaker_state')).toEqual(['gateway_circuit_breaker_state{provider="openrouter",app="worker"} 1']);
    expect(await text(metrics, 'gateway_route_providers')).toEqual([]);
    expect(await text(metrics, 'gateway_provider_deployments')).toEqual([]);
    expect(await text(metrics, 'gateway_budget_limit_usd')).toEqual([]);
  });

  it('report Redis down (0) when its check fails or throws, and no budget series when the source fails', async () => {
    const metrics = createMetrics({ app: 'api', defaultMetrics: false });
    let answer: () => Promise<boolean> = async () => true;
    metrics.setRedisCheck(() => answer());
    metrics.setBudgetSource(async () => {
      throw new Error('redis down');
    });
    expect(await text(metrics, 'gateway_redis_up')).toEqual(['gateway_redis_up{app="api"} 1']);
    answer = async () => false;
    await new Promise((resolve) => setImmediate(resolve));
    expect(await text(metrics, 'gateway_redis_up')).toEqual(['gateway_redis_up{app="api"} 0']);
    answer = () => Promise.reject(new Error('closed'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await text(metrics, 'gateway_redis_up')).toEqual(['gateway_redis_up{app="api"} 0']);
    expect(await text(metrics, 'gateway_budget_spent_usd')).toEqual([]);
  });

  it('report the global budgets while a source is set', async () => {
    const metrics = createMetrics({ app: 'api', defaultMetrics: false });
    metrics.setBudgetSource(async () => [
      { budget: 'daily', spentUsd: 46, limitUsd: 50 },
      { budget: 'monthly', spentUsd: 46, limitUsd: 500 },
    ]);
    expect(await text(metrics, 'gateway_budget_spent_usd')).toEqual([
      'gateway_budget_spent_usd{budget="daily",app="api"} 46',
      'gateway_budget_spent_usd{budget="monthly",app="api"} 46',
    ]);
    expect(await text(metrics, 'gateway_budget_limit_usd')).toEqual([
      'gateway_budget_limit_usd{budget="daily",app="api"} 50',
      'gateway_budget_limit_usd{budget="monthly",app="api"} 500',
    ]);
  });
});
