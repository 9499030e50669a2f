import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  metricValue,
  postJson,
  scrapeMetrics,
  startFakeOllama,
  startPrometheus,
  useGateway,
  waitFor,
  type FakeOllama,
  type PrometheusAlert,
  type TestPrometheus,
} from '@gateway/testing';
import { describeWithTool, repoRoot } from '../deploy/ops-tools';

const messages = [{ role: 'user', content: 'hello' }];
let workerPort: number;
let ollama: FakeOllama | undefined;

const suite = useGateway({
  name: 'alerts',
  openRouter: { apiKey: 'sk-or-alerts-test' },
  env: async () => {
    [workerPort, ollama] = await Promise.all([freePort(), startFakeOllama()]);
    return {
      // The route: OpenRouter, then Ollama.
      LLM_FALLBACKS: 'ollama',
      OLLAMA_BASE_URL: ollama.url,
      OLLAMA_DEFAULT_MODEL: 'qwen-test:1b',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_RESET_TIME_MS: '60000',
      PROVIDER_TIMEOUT_MS: '3000',
      WORKER_METRICS_PORT: String(workerPort),
      WORKER_METRICS_HOST: '127.0.0.1',
    };
  },
});

/**
 * The shipped rules with their `for` shortened to 2 s: the durations are promtool's to test (alerts.test.yml); this
 * test checks that the expressions find what the running gateway really exports.
 */
const quickRules = () => readFileSync(join(repoRoot, 'ops', 'prometheus', 'alerts.yml'), 'utf8').replace(/for: \d+[smh]/g, 'for: 2s');

const firing = (alerts: PrometheusAlert[]) => alerts.filter((alert) => alert.state === 'firing');
const named = (alerts: PrometheusAlert[], name: string) => alerts.filter((alert) => alert.labels['alertname'] === name);

describeWithTool(
  'prometheus',
  'a real Prometheus scraping a running API and worker with the shipped alert rules',
  () => {
    let prometheus: TestPrometheus;
    beforeAll(async () => {
      prometheus = await startPrometheus({
        scrape: { 'gateway-api': [new URL(suite.gateway.baseUrl).host], 'gateway-worker': [`127.0.0.1:${workerPort}`] },
        rules: { 'alerts.yml': quickRules() },
      });
    });
    afterAll(async () => {
      await Promise.all([prometheus?.stop(), ollama?.close()]);
    });

    it('scrapes both, and nothing fires while the gateway is healthy', async () => {
      await waitFor(async () => {
        const targets = await prometheus.targets();
        return targets.length === 2 && targets.every((target) => target.health === 'up');
      }, 20_000);
      expect((await postJson(`${suite.gateway.baseUrl}/v1/chat`, { messages })).status).toBe(200);
      // A few scrapes and evaluations of the healthy gateway.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(firing(await prometheus.alerts())).toEqual([]);
    });

    it('reads what the rules need from the API and the worker', async () => {
      const api = await scrapeMetrics(`${suite.gateway.baseUrl}/metrics`);
      expect(metricValue(api, 'gateway_redis_up', {})).toBe(1);
      expect(metricValue(api, 'gateway_route_providers', { route: 'default', state: 'closed' })).toBe(2);
      expect(metricValue(api, 'gateway_circuit_breaker_state', { provider: 'openrouter' })).toBe(0);
      expect(metricValue(api, 'gateway_budget_limit_usd', { budget: 'daily' })).toBe(50);
      expect(metricValue(api, 'gateway_budget_spent_usd', { budget: 'daily' })).toBeGreaterThan(0);
      for (const lane of ['interactive', 'job', 'batch']) expect(metricValue(api, 'gateway_lane_oldest_job_age_seconds', { lane })).toBe(0);
      const worker = await scrapeMetrics(`http://127.0.0.1:${workerPort}/metrics`);
      expect(metricValue(worker, 'gateway_redis_up', {})).toBe(1);
      for (const path of ['/healthz', '/livez']) {
        const [fromApi, fromWorker] = await Promise.all([fetch(`${suite.gateway.baseUrl}${path}`), fetch(`http://127.0.0.1:${workerPort}${path}`)]);
        expect([fromApi.status, fromWorker.status, await fromWorker.json()]).toEqual([200, 200, { status: 'ok' }]);
      }
    });

    it('fires GatewayCircuitOpen for the provider whose upstream went down, not the route alert (its fallback answers)', async () => {
      await suite.fake.close();
      for (let index = 0; index < 3; index += 1) {
        const answer = await postJson(`${suite.gateway.baseUrl}/v1/chat`, { messages });
        expect(answer).toMatchObject({ status: 200, body: { provider: 'ollama' } });
      }
      const open = await waitFor(async () => {
        const alerts = named(firing(await prometheus.alerts()), 'GatewayCircuitOpen');
        return alerts.length > 0 ? alerts : undefined;
      }, 30_000);
      expect(open.map((alert) => alert.labels)).toEqual([expect.objectContaining({ provider: 'openrouter', severity: 'page' })]);
      expect(named(await prometheus.alerts(), 'GatewayRouteAllProvidersDown')).toEqual([]);
    });

    it('fires GatewayRouteAllProvidersDown once the fallback goes down too', async () => {
      await ollama!.close();
      for (let index = 0; index < 2; index += 1) expect((await postJson(`${suite.gateway.baseUrl}/v1/chat`, { messages })).status).toBe(502);
      const down = await waitFor(async () => named(firing(await prometheus.alerts()), 'GatewayRouteAllProvidersDown')[0], 30_000);
      expect(down.labels).toMatchObject({ route: 'default', severity: 'page' });
    });

    it('fires GatewayWorkersGone when the only worker stops', async () => {
      await suite.gateway.workers[0]!.stop();
      const gone = await waitFor(async () => named(firing(await prometheus.alerts()), 'GatewayWorkersGone')[0], 30_000);
      expect(gone.labels).toMatchObject({ alertname: 'GatewayWorkersGone', severity: 'page' });
    });

    it('fires GatewayRedisUnreachable for the API when Redis stops, while its /metrics still answers', async () => {
      if (!suite.redis.owned) return; // a shared REDIS_URL server is not ours to stop
      await suite.redis.kill();
      try {
        const unreachable = await waitFor(async () => named(firing(await prometheus.alerts()), 'GatewayRedisUnreachable')[0], 30_000);
        expect(unreachable.labels).toMatchObject({ app: 'api', severity: 'page' });
        expect(named(firing(await prometheus.alerts()), 'GatewayApiDown')).toEqual([]);
      } finally {
        await suite.redis.restart();
      }
    });
  },
  { installedInCi: true },
);
