import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providersViewSchema, type ProvidersView } from '@gateway/contracts';
import { noRateLimit, postJson, scrapeMetrics, startFakeOpenRouter, stopAll, useGateway, type FakeOpenRouter, type MetricSample } from '@gateway/testing';

/**
 * A provider's circuit as `GET /v1/providers` and the API's metrics show it, with a real API and worker on fake
 * OpenRouters. With deployments of it in GATEWAY_CONFIG_FILE its calls go through their circuits only: the provider
 * must read what they make together (degraded while one of two is out, open once both are), not its own circuit
 * that no call moves any more. Without the file, it reads its own circuit, as always.
 */
jest.setTimeout(120_000);

const adminToken = 'gw-provider-circuit-admin';
const broken = { kind: 'status', status: 500, body: { error: { message: 'upstream broke', code: 500 } } } as const;

type Provider = ProvidersView['providers'][number];
type Deployment = ProvidersView['deployments'][number];

async function providersOf(
  baseUrl: string,
  token?: string,
  path = '/v1/providers',
): Promise<{ providers: Record<string, Provider>; deployments: Record<string, Deployment> }> {
  const response = await fetch(`${baseUrl}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(response.status).toBe(200);
  // The body keeps its shape: every field a client reads, and the new ones beside them.
  const body = providersViewSchema.parse(await response.json());
  return {
    providers: Object.fromEntries(body.providers.map((provider) => [provider.id, provider])),
    deployments: Object.fromEntries(body.deployments.map((deployment) => [deployment.id, deployment])),
  };
}

/** One sample's value; a missing series fails (a gauge that says nothing is not a gauge that says 0). */
function gauge(samples: readonly MetricSample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  if (found.length !== 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

/** `count` chat calls one after another, each answered with `status`. */
async function chat(baseUrl: string, count: number, status: number, token?: string): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const answer = await postJson(`${baseUrl}/v1/chat`, { messages: [{ role: 'user', content: `question ${index}` }] }, headers);
    expect(answer.status).toBe(status);
  }
}

describe('a provider with two deployments in GATEWAY_CONFIG_FILE', () => {
  const KEY_A = 'sk-or-circuit-a';
  const KEY_B = 'sk-or-circuit-b';
  let second: FakeOpenRouter | undefined;
  beforeAll(async () => {
    second = await startFakeOpenRouter({ apiKey: KEY_B });
  });
  afterAll(async () => stopAll(second));

  const suite = useGateway({
    name: 'provider-circuit-deployments',
    openRouter: { apiKey: KEY_A },
    env: ({ fake }) => {
      const path = join(mkdtempSync(join(tmpdir(), 'gw-provider-circuit-')), 'gateway.yaml');
      writeFileSync(
        path,
        [
          'deployments:',
          `  - { id: or-a, provider: openrouter, base_url: "${fake!.baseUrl}", api_key_env: OR_KEY_A }`,
          `  - { id: or-b, provider: openrouter, base_url: "${second!.baseUrl}", api_key_env: OR_KEY_B }`,
        ].join('\n'),
      );
      return {
        ...noRateLimit,
        GATEWAY_LIMITS_ENABLED: 'false',
        GATEWAY_ADMIN_TOKEN: adminToken,
        OR_KEY_A: KEY_A,
        OR_KEY_B: KEY_B,
        GATEWAY_CONFIG_FILE: path,
        CIRCUIT_FAILURE_THRESHOLD: '2',
        // Long enough that no open circuit turns half-open (trial due) while the test reads it.
        CIRCUIT_RESET_TIME_MS: '600000',
      };
    },
  });
  const url = () => suite.gateway.baseUrl;
  const metrics = () => scrapeMetrics(`${url()}/metrics`);

  it('reads closed from its deployments while both serve; a provider without deployments keeps its own', async () => {
    await chat(url(), 4, 200, adminToken);
    const { providers } = await providersOf(url(), adminToken);
    expect(providers['openrouter']!.circuit).toEqual({
      state: 'closed',
      consecutive_failures: 0,
      opened_at: null,
      source: 'deployments',
      deployments: { closed: 2, open: 0, half_open: 0 },
    });
    expect(providers['openrouter']).toMatchObject({ configured: true, role: 'primary', calls: expect.any(Number) });
    expect(providers['ollama']!.circuit).toMatchObject({ state: 'closed', source: 'provider', deployments: { closed: 1, open: 0, half_open: 0 } });
    const samples = await metrics();
    expect(gauge(samples, 'gateway_circuit_breaker_state', { provider: 'openrouter' })).toBe(0);
    expect(gauge(samples, 'gateway_provider_deployments', { provider: 'openrouter', state: 'closed' })).toBe(2);
  });

  it('reads half-open (one of two out) once one deployment opens, beside each deployment as it is', async () => {
    suite.fake.setBehaviour(() => broken);
    // or-b answers every call (or-a's failures fail over to it) until or-a's circuit opens.
    await chat(url(), 8, 200, adminToken);
    const { providers, deployments } = await providersOf(url(), adminToken);
    expect(deployments['or-a']!.circuit.state).toBe('open');
    expect(deployments['or-b']!.circuit).toMatchObject({ state: 'closed', opened_at: null });
    expect(providers['openrouter']!.circuit).toEqual({
      state: 'half_open',
      consecutive_failures: deployments['or-a']!.circuit.consecutive_failures,
      opened_at: deployments['or-a']!.circuit.opened_at,
      source: 'deployments',
      deployments: { closed: 1, open: 1, half_open: 0 },
    });
    expect(providers['openrouter']!.circuit.consecutive_failures).toBe(2);

    const samples = await metrics();
    expect(gauge(samples, 'gateway_circuit_breaker_state', { provider: 'openrouter' })).toBe(2);
    expect(gauge(samples, 'gateway_circuit_breaker_state', { provider: 'or-a' })).toBe(1);
    expect(gauge(samples, 'gateway_circuit_breaker_state', { provider: 'or-b' })).toBe(0);
    expect(gauge(samples, 'gateway_provider_deployments', { provider: 'openrouter', state: 'open' })).toBe(1);
    expect(gauge(samples, 'gateway_provider_deployments', { provider: 'openrouter', state: 'closed' })).toBe(1);
  });

  it('reads open once every deployment is open, since the last of them opened; the console reads the same', async () => {
    second!.setBehaviour(() => broken);
    // or-a is skipped (open), or-b fails each call until its circuit opens; then nothing is called.
    await chat(url(), 3, 502, adminToken);
    const { providers, deployments } = await providersOf(url(), adminToken);
    expect(deployments['or-b']!.circuit.state).toBe('open');
    expect(providers['openrouter']!.circuit).toEqual({
      state: 'open',
      consecutive_failures: 2,
      opened_at: deployments['or-b']!.circuit.opened_at,
      source: 'deployments',
      deployments: { closed: 0, open: 2, half_open: 0 },
    });
    expect(Date.parse(deployments['or-b']!.circuit.opened_at!)).toBeGreaterThanOrEqual(Date.parse(deployments['or-a']!.circuit.opened_at!));

    const admin = await providersOf(url(), adminToken, '/admin/providers');
    expect(admin.providers['openrouter']!.circuit).toEqual(providers['openrouter']!.circuit);

    const samples = await metrics();
    expect(gauge(samples, 'gateway_circuit_breaker_state', { provider: 'openrouter' })).toBe(1);
    expect(gauge(samples, 'gateway_provider_deployments', { provider: 'openrouter', state: 'open' })).toBe(2);
    expect(gauge(samples, 'gateway_provider_deployments', { provider: 'openrouter', state: 'closed' })).toBe(0);
    // The route counts the deployments: none of them closed.
    expect(gauge(samples, 'gateway_route_providers', { route: 'default', state: 'closed' })).toBe(0);
  });
});

describe('a provider without GATEWAY_CONFIG_FILE', () => {
  const suite = useGateway({
    name: 'provider-circuit-own',
    openRouter: { apiKey: 'sk-or-circuit-own' },
    env: { ...noRateLimit, GATEWAY_LIMITS_ENABLED: 'false', CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_RESET_TIME_MS: '600000' },
  });
  const url = () => suite.gateway.baseUrl;

  it('reads its own circuit, open once its calls fail, the same as its implicit deployment', async () => {
    await chat(url(), 2, 200);
    expect((await providersOf(url())).providers['openrouter']!.circuit).toEqual({
      state: 'closed',
      consecutive_failures: 0,
      opened_at: null,
      source: 'provider',
      deployments: { closed: 1, open: 0, half_open: 0 },
    });
    suite.fake.setBehaviour(() => broken);
    await chat(url(), 3, 502);
    const { providers, deployments } = await providersOf(url());
    const own = deployments['openrouter']!;
    expect(own).toMatchObject({ implicit: true });
    expect(providers['openrouter']!.circuit).toEqual({ ...own.circuit, source: 'provider', deployments: { closed: 0, open: 1, half_open: 0 } });
    expect(providers['openrouter']!.circuit).toMatchObject({ state: 'open', consecutive_failures: 2, opened_at: expect.any(String) });

    const samples = await scrapeMetrics(`${url()}/metrics`);
    expect(gauge(samples, 'gateway_circuit_breaker_state', { provider: 'openrouter' })).toBe(1);
    expect(gauge(samples, 'gateway_provider_deployments', { provider: 'openrouter', state: 'open' })).toBe(1);
  });
});
