import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, useGateway } from '@gateway/testing';

/**
 * Embeddings under a budget, on two API instances and two workers: each request reserves its inputs' estimated tokens
 * at the model's price and is settled at the provider's own cost (OpenRouter's usage.cost), so the daily budget stops
 * them at its limit whichever instance they reach.
 */
const dir = mkdtempSync(join(tmpdir(), 'gw-embeddings-budget-'));
const pricing = join(dir, 'pricing.json');
// $1000 per million prompt tokens: the fake bills 10 tokens ($0.01) a request; 48 characters are estimated at 16 ($0.016).
writeFileSync(pricing, JSON.stringify({ 'test/embed': { prompt: 1000, completion: 0 } }));
const suite = useGateway({
  name: 'embeddings-budget',
  workers: 2,
  openRouter: { apiKey: 'sk-or-embed-budget', embeddingModels: [{ id: 'test/embed', prompt: '0.001', completion: '0' }] },
  env: { LLM_PRICING_FILE: pricing, LLM_DAILY_BUDGET_USD: '0.1', LLM_MONTHLY_BUDGET_USD: '100', GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000' },
});
const second = suite.addApi();
const input = 'one two three four five six seven eight nine ten';

it('bills the provider cost and refuses with 402 at the daily budget, on both instances', async () => {
  const bases = [suite.gateway.baseUrl, second.baseUrl];
  const accepted: number[] = [];
  let refusal: { status: number; body: unknown } | undefined;
  for (let index = 0; index < 20 && !refusal; index += 1) {
    const result = await postJson(`${bases[index % 2]}/v1/embeddings`, { model: 'test/embed', input: [input], user: `agent-${index % 2}` });
    if (result.status === 200) accepted.push(index);
    else refusal = result;
  }
  // $0.01 a request against $0.1 with $0.016 reserved each: the 10th no longer fits.
  expect(accepted).toHaveLength(9);
  expect(refusal).toMatchObject({
    status: 402,
    body: { error: { type: 'insufficient_quota', message: expect.stringMatching(/daily budget exceeded .*spent \$0\.0900 of \$0\.100/) } },
  });
  for (const base of bases) expect((await postJson(`${base}/v1/embeddings`, { model: 'test/embed', input })).status).toBe(402);
  const usage = (await (await fetch(`${second.baseUrl}/v1/usage`)).json()) as { day: Record<string, unknown> };
  expect(usage.day).toMatchObject({
    spent_usd: 0.09,
    in_flight_usd: 0,
    jobs: 9,
    by_agent: { 'agent-0': 0.05, 'agent-1': 0.04 },
    by_model: { 'test/embed': 0.09 },
    tokens: { prompt: 90, completion: 0 },
  });
  expect(suite.fake.requests.filter((request) => request.path.endsWith('/embeddings'))).toHaveLength(9);
});
