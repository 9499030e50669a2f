import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noRateLimit, postJson, startFakeOpenRouter, stopAll, useGateway, waitFor, type FakeOpenRouter } from '@gateway/testing';

/** Two OpenRouter-compatible upstreams serving as two deployments of one provider, each with its own key. */
interface DeploymentView {
  id: string;
  provider: string;
  implicit: boolean;
  configured: boolean;
  weight: number;
  circuit: { state: string };
  in_flight: number | null;
  requests: number | null;
  tokens: number | null;
  limits: { rpm: number | null; tpm: number | null; max_concurrency: number | null };
  paused_until: string | null;
}

const KEY_A = 'sk-or-deployment-a';
const KEY_B = 'sk-or-deployment-b';
let second: FakeOpenRouter | undefined;
beforeAll(async () => {
  second = await startFakeOpenRouter({ apiKey: KEY_B });
});
afterAll(async () => stopAll(second));

const suite = useGateway({
  name: 'deployments',
  openRouter: { apiKey: KEY_A },
  env: ({ fake }) => {
    const path = join(mkdtempSync(join(tmpdir(), 'gw-deployments-')), 'gateway.yaml');
    writeFileSync(
      path,
      [
        'deployments:',
        `  - { id: or-a, provider: openrouter, base_url: "${fake!.baseUrl}", api_key_env: OR_KEY_A, weight: 1, rpm: 100000 }`,
        `  - { id: or-b, provider: openrouter, base_url: "${second!.baseUrl}", api_key_env: OR_KEY_B, weight: 3, max_concurrency: 64 }`,
      ].join('\n'),
    );
    // The env key is another one: only the file's keys may reach the deployments.
    return {
      ...noRateLimit,
      GATEWAY_LIMITS_ENABLED: 'false',
      OPENROUTER_API_KEY: 'sk-or-not-this-one',
      OR_KEY_A: KEY_A,
      OR_KEY_B: KEY_B,
      GATEWAY_CONFIG_FILE: path,
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_RESET_TIME_MS: '60000',
      PROVIDER_MAX_PAUSE_MS: '3000',
    };
  },
});
const { fake: first } = suite;

const calls = (fake: FakeOpenRouter) => fake.requests.filter((request) => request.path.endsWith('/chat/completions')).length;

async function deployments(): Promise<Record<string, DeploymentView>> {
  const response = await fetch(`${suite.gateway.baseUrl}/v1/providers`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { deployments: DeploymentView[] };
  return Object.fromEntries(body.deployments.map((deployment) => [deployment.id, deployment]));
}

/** `count` chat calls, `parallel` at a time; each must succeed. */
async function chat(count: number, parallel: number): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < count) {
      next += 1;
      const answer = await postJson(`${suite.gateway.baseUrl}/v1/chat`, { messages: [{ role: 'user', content: `question ${next}` }] });
      expect(answer.status).toBe(200);
    }
  };
  await Promise.all(Array.from({ length: parallel }, run));
}

describe('deployments of GATEWAY_CONFIG_FILE: two keys of one provider', () => {
  it('lists each deployment with its limits, the implicit deployments beside them', async () => {
    const views = await deployments();
    expect(views['or-a']).toMatchObject({ provider: 'openrouter', implicit: false, configured: true, weight: 1, limits: { rpm: 100000, tpm: null } });
    expect(views['or-b']).toMatchObject({ implicit: false, weight: 3, in_flight: 0, limits: { max_concurrency: 64 }, paused_until: null });
    // OpenRouter's implicit deployment is replaced by the file's; the others keep theirs.
    expect(views['openrouter']).toBeUndefined();
    expect(views['ollama']).toMatchObject({ implicit: true, in_flight: null });
  });

  it('spreads 400 calls 1:3 by weight, each deployment called with its own key', async () => {
    const [beforeA, beforeB] = [calls(first), calls(second!)];
    await chat(400, 16);
    const [servedA, servedB] = [calls(first) - beforeA, calls(second!) - beforeB];
    expect(servedA + servedB).toBe(400);
    expect(Math.abs(servedB / 400 - 0.75)).toBeLessThanOrEqual(0.03);
    expect(first.requests.every((request) => request.headers.authorization === `Bearer ${KEY_A}`)).toBe(true);
    expect(second!.requests.every((request) => request.headers.authorization === `Bearer ${KEY_B}`)).toBe(true);
    const views = await deployments();
    expect(views['or-a']!.requests).toBeGreaterThanOrEqual(servedA);
    expect(views['or-b']!.requests).toBeGreaterThanOrEqual(servedB);
  });

  it('pauses only the deployment that answered 429; the other serves meanwhile, and the pause ends', async () => {
    first.setBehaviour(() => ({ kind: 'status', status: 429, retryAfter: '30', body: { error: { message: 'Rate limit exceeded', code: 429 } } }));
    const before = calls(first);
    await chat(40, 1);
    // One 429 (from the call that found it first), then no more calls: paused (capped at PROVIDER_MAX_PAUSE_MS).
    expect(calls(first) - before).toBe(1);
    const views = await deployments();
    expect(views['or-a']!.paused_until).not.toBeNull();
    expect(views['or-b']!.paused_until).toBeNull();
    first.setBehaviour(() => ({ kind: 'reply', content: 'Hello from or-a again' }));
    await waitFor(async () => (await deployments())['or-a']!.paused_until === null, 10_000, 200);
    await chat(20, 1);
    expect(calls(first) - before).toBeGreaterThan(1);
  });

  it('opens the circuit of a failing deployment alone; the other serves every call', async () => {
    first.setBehaviour(() => ({ kind: 'status', status: 500, body: { error: { message: 'upstream broke', code: 500 } } }));
    const before = calls(first);
    await chat(60, 1);
    expect(calls(first) - before).toBe(3);
    const views = await deployments();
    expect(views['or-a']!.circuit.state).toBe('open');
    expect(views['or-b']!.circuit.state).toBe('closed');
    const afterOpen = calls(first);
    await chat(20, 4);
    expect(calls(first)).toBe(afterOpen);
  });
});
