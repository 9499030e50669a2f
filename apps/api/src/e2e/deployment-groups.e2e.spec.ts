import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestLogPage } from '@gateway/contracts';
import { noRateLimit, postJson, startFakeOpenRouter, stopAll, useGateway, waitFor, type FakeOpenRouter } from '@gateway/testing';

/**
 * Model groups of GATEWAY_CONFIG_FILE in front of a deployment of OpenRouter (its own URL and key), while the env's
 * primary provider is another (OpenAI): the API checks and prices a group's name as the workers plan it, embeddings
 * go through the deployment as chat calls do, and the request log names the deployment that served.
 */
const KEY_A = 'sk-or-team-a';
const ADMIN_TOKEN = 'admin-token-for-deployment-groups';
const TOKEN = 'client-token-for-deployment-groups';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const client = { authorization: `Bearer ${TOKEN}` };
const WINDOW_MS = 2000;
const EMBED_MODEL = 'openai/text-embedding-3-small';

/** Writes a GATEWAY_CONFIG_FILE and returns its path. */
function gatewayFile(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gw-groups-')), 'gateway.yaml');
  writeFileSync(path, lines.join('\n'));
  return path;
}

describe('model groups and embeddings through a deployment of GATEWAY_CONFIG_FILE', () => {
  let teamA: FakeOpenRouter | undefined;
  let flaky: FakeOpenRouter | undefined;
  beforeAll(async () => {
    // Not OpenAI's field rules: OpenRouter takes top_k.
    teamA = await startFakeOpenRouter({ apiKey: KEY_A, strict: false });
    flaky = await startFakeOpenRouter({
      apiKey: KEY_A,
      behave: () => ({ kind: 'status', status: 500, body: { error: { message: 'upstream broke', code: 500 } } }),
    });
  });
  afterAll(async () => stopAll(teamA, flaky));

  // The suite's own fake is OPENROUTER_BASE_URL with the env's key: nothing may reach it.
  const suite = useGateway({
    name: 'deployment-groups',
    openRouter: { apiKey: 'sk-or-env-not-this-one' },
    env: () => ({
      ...noRateLimit,
      GATEWAY_LIMITS_ENABLED: 'false',
      GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
      GATEWAY_AUTH_TOKEN: TOKEN,
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-openai-unused',
      OPENAI_BASE_URL: 'http://127.0.0.1:1/v1',
      OR_KEY_A: KEY_A,
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_RESET_TIME_MS: '60000',
      GATEWAY_CONFIG_FILE: gatewayFile([
        'deployments:',
        `  - { id: or-team-a, provider: openrouter, base_url: "${teamA!.baseUrl}", api_key_env: OR_KEY_A }`,
        `  - { id: or-slow, provider: openrouter, base_url: "${teamA!.baseUrl}", api_key_env: OR_KEY_A, rpm: 1 }`,
        `  - { id: or-flaky, provider: openrouter, base_url: "${flaky!.baseUrl}", api_key_env: OR_KEY_A }`,
        'models:',
        '  claude-sonnet: { targets: [{ deployment: or-team-a, model: anthropic/claude-sonnet-4.5 }] }',
        `  team-embed: { targets: [{ deployment: or-team-a, model: ${EMBED_MODEL} }] }`,
        `  slow-embed: { targets: [{ deployment: or-slow, model: ${EMBED_MODEL} }] }`,
        `  flaky-embed: { targets: [{ deployment: or-flaky, model: ${EMBED_MODEL} }], fallbacks: [team-embed] }`,
        `window_seconds: ${WINDOW_MS / 1000}`,
      ]),
    }),
  });
  const base = () => suite.gateway.baseUrl;
  const embeddingCalls = (fake: FakeOpenRouter) => fake.requests.filter((request) => request.path.endsWith('/embeddings'));

  it('sends embeddings of a group to its deployment, with the deployment key, never to the env URL', async () => {
    const answer = await postJson(`${base()}/v1/embeddings`, { model: 'team-embed', input: ['one', 'two'] }, client);
    expect(answer.status).toBe(200);
    expect((answer.body as { data: unknown[] }).data).toHaveLength(2);
    const calls = embeddingCalls(teamA!);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${KEY_A}`);
    expect(calls[0]!.body).toMatchObject({ model: EMBED_MODEL, input: ['one', 'two'] });
    expect(embeddingCalls(suite.fake)).toHaveLength(0);
  });

  it('serves a group whose target honours a field the env primary does not (top_k), at the target model', async () => {
    const answer = await postJson(`${base()}/v1/chat`, { model: 'claude-sonnet', top_k: 5, messages: [{ role: 'user', content: 'hi' }] }, client);
    expect(answer).toMatchObject({ status: 200, body: { provider: 'openrouter' } });
    const chat = teamA!.requests.filter((request) => request.path.endsWith('/chat/completions'));
    expect(chat.at(-1)).toMatchObject({ headers: { authorization: `Bearer ${KEY_A}` }, body: { model: 'anthropic/claude-sonnet-4.5', top_k: 5 } });
    expect(suite.fake.requests.filter((request) => request.path.endsWith('/chat/completions'))).toHaveLength(0);
  });

  it('logs the deployment that served each request', async () => {
    const read = async (model: string) => {
      const response = await fetch(`${base()}/admin/requests?model=${model}&limit=10`, { headers: admin });
      expect(response.status).toBe(200);
      return ((await response.json()) as RequestLogPage).data;
    };
    for (const model of ['team-embed', 'claude-sonnet']) {
      const [entry] = await waitFor(async () => ((await read(model)).length > 0 ? read(model) : undefined), 10_000, 100);
      expect(entry).toMatchObject({ model, provider: 'openrouter', deployment: 'or-team-a', status: 200 });
    }
  });

  it('paces embeddings at the deployment rpm: the second request of the window waits for room', async () => {
    const first = await postJson(`${base()}/v1/embeddings`, { model: 'slow-embed', input: 'first' }, client);
    expect(first.status).toBe(200);
    const startedAt = Date.now();
    const second = await postJson(`${base()}/v1/embeddings`, { model: 'slow-embed', input: 'second' }, client);
    expect(second.status).toBe(200);
    // One request per window of WINDOW_MS: the second waited in the queue (not refused, not sent at once).
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(WINDOW_MS / 2);
    const views = (await (await fetch(`${base()}/v1/providers`, { headers: client })).json()) as { deployments: { id: string; requests: number | null }[] };
    expect(views.deployments.find((deployment) => deployment.id === 'or-slow')?.requests).toBeGreaterThanOrEqual(1);
  });

  it("opens the circuit of the deployment whose embeddings fail, not the provider's; the fallback serves", async () => {
    for (let index = 0; index < 6; index += 1) {
      expect((await postJson(`${base()}/v1/embeddings`, { model: 'flaky-embed', input: `text ${index}` }, client)).status).toBe(200);
    }
    // Two failures open it: the later requests skip it for the fallback.
    expect(embeddingCalls(flaky!)).toHaveLength(2);
    const views = (await (await fetch(`${base()}/v1/providers`, { headers: client })).json()) as { deployments: { id: string; circuit: { state: string } }[] };
    const circuit = (id: string) => views.deployments.find((deployment) => deployment.id === id)?.circuit.state;
    expect({ flaky: circuit('or-flaky'), teamA: circuit('or-team-a') }).toEqual({ flaky: 'open', teamA: 'closed' });
  });

  it('lists the groups in GET /v1/models, owned by their target provider', async () => {
    const models = (await (await fetch(`${base()}/v1/models`, { headers: client })).json()) as { data: { id: string; owned_by: string }[] };
    expect(models.data).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'claude-sonnet', owned_by: 'openrouter' })]));
    expect((await fetch(`${base()}/v1/models/team-embed`, { headers: client })).status).toBe(200);
  });
});

describe('the reservation of a model group, at the price of its targets', () => {
  // A budget nothing paid fits in: a request is admitted only when it reserves $0, and a refusal says its estimate.
  const suite = useGateway({
    name: 'deployment-groups-reserve',
    openRouter: { apiKey: 'sk-or-reserve' },
    env: () => {
      const pricing = join(mkdtempSync(join(tmpdir(), 'gw-groups-pricing-')), 'pricing.json');
      writeFileSync(pricing, JSON.stringify({ 'test/pricey': { prompt: 100_000, completion: 100_000 } }));
      return {
        ...noRateLimit,
        LLM_DAILY_BUDGET_USD: '0.000001',
        LLM_PRICING_FILE: pricing,
        OLLAMA_BASE_URL: 'http://127.0.0.1:1',
        GATEWAY_CONFIG_FILE: gatewayFile([
          'models:',
          '  local-coder: { targets: [{ provider: ollama, model: "qwen2.5-coder:7b" }] }',
          '  premium: { targets: [{ provider: openrouter, model: test/pricey }] }',
        ]),
      };
    },
  });
  const ask = (model: string) => postJson(`${suite.gateway.baseUrl}/v1/jobs`, { model, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });

  it('reserves nothing for a group whose only target is a free Ollama model', async () => {
    expect((await ask('local-coder')).status).toBe(202);
    // The same request to a paid model is refused: the budget admits nothing that costs.
    expect((await ask('some/paid-model')).status).toBe(402);
  });

  it("reserves a group's request at its target's price, not the default", async () => {
    const refused = await ask('premium');
    expect(refused.status).toBe(402);
    // 100 completion tokens at $0.1 each, at least: the default price ($15 per million) would reserve a fraction of a cent.
    const estimate = (refused.body as { error: { budget?: { estimate_usd: number } } }).error.budget?.estimate_usd;
    expect(estimate).toBeGreaterThanOrEqual(10);
  });
});
