import { postJson, useGateway } from '@gateway/testing';

/**
 * `max_cost_usd` on a batch, under two workers running eight requests each at once: a request starts only while
 * the batch's spend (settled, plus its running requests' reservations) is below the cap, so a cap allowing five
 * requests runs five; the others end `budget_exceeded` without calling the provider, and the summary counts them.
 */
const MODEL = 'acme/batch-model';
// Prompt tokens free, $1000 per million completion tokens: a 3-word answer costs $0.003, and so does the estimate
// of a request with max_tokens 3.
const REQUEST_COST = 0.003;

const { fake: upstream, gateway } = useGateway({
  name: 'batch-cap',
  openRouter: {
    apiKey: 'sk-or-batch-cap',
    models: { kind: 'list', models: [{ id: MODEL, prompt: '0', completion: '0.001' }] },
    behave: () => ({ kind: 'reply', content: 'one two three', cost: null, latencyMs: 150 }),
  },
  env: { GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000', WORKER_CONCURRENCY: '8', PRICING_REFRESH_MS: '600000' },
  workers: 2,
});
let baseUrl: string;
beforeAll(() => {
  baseUrl = gateway.baseUrl;
});

interface BatchSummary {
  done: boolean;
  counts: Record<string, number>;
  budget_exceeded: number;
  max_cost_usd?: number;
  spent_usd?: number;
  results?: { status: string; error?: { type: string; message: string } }[];
}

async function untilDone(batchId: string): Promise<BatchSummary> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const body = (await (await fetch(`${baseUrl}/v1/batches/${batchId}?results=true`)).json()) as BatchSummary;
    if (body.done) return body;
    if (Date.now() > deadline) throw new Error(`batch ${batchId} not done: ${JSON.stringify(body.counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const requests = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ model: MODEL, max_tokens: 3, messages: [{ role: 'user', content: `request ${index}` }] }));

describe('max_cost_usd on a batch', () => {
  it('runs the requests the cap allows; the rest end budget_exceeded without a provider call', async () => {
    const callsBefore = upstream.requests.length;
    const accepted = await postJson(`${baseUrl}/v1/batches`, { requests: requests(20), max_cost_usd: 5 * REQUEST_COST });
    expect(accepted.status).toBe(202);
    const { batch_id: batchId } = accepted.body as { batch_id: string };
    const summary = await untilDone(batchId);
    process.stdout.write(`batch cap: ${summary.counts['completed']} of 20 ran on a 5-request cap (2 workers × 8), spent $${summary.spent_usd}\n`);
    expect(summary.counts).toMatchObject({ completed: 5, failed: 15, queued: 0, active: 0 });
    expect(summary.budget_exceeded).toBe(15);
    expect(summary.max_cost_usd).toBe(5 * REQUEST_COST);
    expect(summary.spent_usd).toBeCloseTo(5 * REQUEST_COST, 12);
    expect(upstream.requests.length - callsBefore).toBe(5);
    const refused = summary.results!.find((result) => result.status === 'failed');
    expect(refused?.error).toMatchObject({ type: 'budget_exceeded', message: expect.stringContaining('max_cost_usd') });
    // The refused requests gave their budget reservations back; the spend is what ran.
    const usage = (await (await fetch(`${baseUrl}/v1/usage`)).json()) as { day: { spent_usd: number; in_flight_usd: number } };
    expect(usage.day.in_flight_usd).toBe(0);
    expect(usage.day.spent_usd).toBeCloseTo(5 * REQUEST_COST, 12);
  });

  it('takes the cap as a query parameter for a JSONL body (OpenAI batch lines)', async () => {
    const lines = requests(4).map((body, index) => JSON.stringify({ custom_id: `r${index}`, method: 'POST', url: '/v1/chat/completions', body }));
    const response = await fetch(`${baseUrl}/v1/batches?max_cost_usd=${2 * REQUEST_COST}`, {
      method: 'POST',
      headers: { 'content-type': 'application/jsonl' },
      body: lines.join('\n'),
    });
    expect(response.status).toBe(202);
    const { batch_id: batchId } = (await response.json()) as { batch_id: string };
    const summary = await untilDone(batchId);
    expect(summary).toMatchObject({ counts: { completed: 2, failed: 2 }, budget_exceeded: 2, max_cost_usd: 2 * REQUEST_COST });
  });

  it('leaves a batch without a cap as it was', async () => {
    const accepted = await postJson(`${baseUrl}/v1/batches`, requests(3));
    const summary = await untilDone((accepted.body as { batch_id: string }).batch_id);
    expect(summary).toMatchObject({ counts: { completed: 3, failed: 0 }, budget_exceeded: 0 });
    expect(summary.max_cost_usd).toBeUndefined();
  });

  it.each([
    ['zero', { requests: requests(1), max_cost_usd: 0 }, ''],
    ['negative', { requests: requests(1), max_cost_usd: -1 }, ''],
    ['a string in the body', { requests: requests(1), max_cost_usd: '1' }, ''],
    ['not a number in the query', requests(1), '?max_cost_usd=lots'],
    ['given twice', { requests: requests(1), max_cost_usd: 1 }, '?max_cost_usd=1'],
  ])('refuses a max_cost_usd that is %s (400 naming the field, nothing enqueued)', async (_label, body, query) => {
    const callsBefore = upstream.requests.length;
    const refused = await postJson(`${baseUrl}/v1/batches${query}`, body);
    expect(refused.status).toBe(400);
    expect((refused.body as { error: { type: string; message: string } }).error).toMatchObject({
      type: 'invalid_request',
      message: expect.stringContaining('max_cost_usd'),
    });
    expect(upstream.requests.length).toBe(callsBefore);
  });
});
