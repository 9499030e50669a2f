import { useGateway } from '@gateway/testing';

/**
 * Reservations that learn what calls really cost: the table prices the model at a fraction of a cent, the
 * provider bills $0.01 a call. Once one call has settled, 30 concurrent calls over two API instances on a $0.05
 * budget: the four that fit are served, not thirty.
 */
const OR_KEY = 'sk-or-cost-learning';
const MODEL = 'meta-llama/llama-3.1-8b-instruct';

const suite = useGateway({
  name: 'cost-learning',
  openRouter: { apiKey: OR_KEY, behave: () => ({ kind: 'reply', content: 'a paid answer', cost: 0.01, latencyMs: 300 }) },
  env: { LLM_DAILY_BUDGET_USD: '0.05', GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000', WORKER_CONCURRENCY: '64' },
  gateway: false,
});
const apis = [suite.addApi(), suite.addApi()];
suite.addWorker();

const chat = (api: number) =>
  fetch(`${apis[api]!.baseUrl}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello' }] }),
  });

describe('estimates that learn from real costs', () => {
  it('after one settled call, 30 concurrent calls over two instances cannot pass a five-call budget', async () => {
    expect((await chat(0)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, index) => chat(index % 2)));
    const served = answers.filter((answer) => answer.status === 200).length;
    const refused = answers.filter((answer) => answer.status === 402).length;
    const usage = (await (await fetch(`${apis[0]!.baseUrl}/v1/usage`)).json()) as { day: { spent_usd: number } };
    process.stdout.write(
      `learned cost: after one settled call, ${served} of 30 concurrent served, ${refused} refused, spent $${usage.day.spent_usd.toFixed(4)} of $0.05\n`,
    );
    expect(served).toBeLessThanOrEqual(5);
    expect(served + refused).toBe(30);
    expect(usage.day.spent_usd).toBeLessThanOrEqual(0.05 + 0.01 + 1e-9);
  });
});
