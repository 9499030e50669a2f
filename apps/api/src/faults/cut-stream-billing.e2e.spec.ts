import { estimatePromptTokens } from '@gateway/limits';
import { defaultFakeModels, postSse, useGateway, waitFor } from '@gateway/testing';

/**
 * A stream the client leaves before its last token is billed for what the provider generated (prompt and the
 * tokens sent), not released: the client cuts it on one API instance, the usage is read on another, and a key's
 * daily budget is reached by cut streams as by finished ones.
 */
jest.setTimeout(120_000);

const ADMIN = 'admin-token-for-cut-streams';
const OR_KEY = 'sk-or-cut-streams';
const MODEL = 'openai/gpt-4o';
const CHUNKS = 40;
const CUT_AT = 36;
// 40 words of 4 characters: one token each, as the provider counts them and as the worker estimates them.
const ANSWER = Array.from({ length: CHUNKS }, (_, index) => `t${String(index).padStart(2, '0')} `).join('');
const MESSAGES = [{ role: 'user' as const, content: 'Tell me forty short words, please.' }];

const suite = useGateway({
  name: 'cut',
  openRouter: { apiKey: OR_KEY, behave: () => ({ kind: 'reply', content: ANSWER, chunkDelayMs: 40, cost: null }) },
  env: { GATEWAY_ADMIN_TOKEN: ADMIN, GATEWAY_RATE_RPS: '1000', GATEWAY_RATE_BURST: '1000' },
  gateway: false,
});
const { fake: upstream } = suite;
const apiA = suite.addApi();
const apiB = suite.addApi();
suite.addWorker();

type Json = Record<string, unknown>;
async function call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
}
const usageOf = async (key: string) =>
  (await call('GET', `${apiB.baseUrl}/v1/usage`, key)).body['day'] as { spent_usd: number; in_flight_usd: number; jobs: number };

/** Streams on API A and drops the connection after CUT_AT text chunks; the status (200, or 402 when refused). */
async function cutStream(key: string): Promise<number> {
  let seen = 0;
  const result = await postSse(
    `${apiA.baseUrl}/v1/chat/stream`,
    { model: MODEL, messages: MESSAGES, max_tokens: CHUNKS },
    {
      headers: { authorization: `Bearer ${key}` },
      onEvent: (event) => {
        if (typeof event === 'object' && event !== null && 'content' in event) seen += 1;
        return seen >= CUT_AT ? 'abort' : undefined;
      },
    },
  );
  if (result.status === 200) expect(seen).toBe(CUT_AT);
  return result.status;
}

/** Waits until nothing of the key is in flight (the worker has settled its cut calls) and returns its usage. */
const settledUsage = (key: string) => waitFor(async () => ((await usageOf(key)).in_flight_usd === 0 ? usageOf(key) : undefined), 10_000, 100);

describe('a stream cut before its last token', () => {
  it('is billed for the prompt and the tokens generated, read from another API instance; cut streams reach the key’s budget', async () => {
    const created = await call('POST', `${apiA.baseUrl}/admin/keys`, ADMIN, { name: 'cut streams', daily_budget_usd: 1 });
    expect(created.status).toBe(201);
    const { id, key } = created.body as { id: string; key: string };
    const before = await usageOf(key);
    expect(await cutStream(key)).toBe(200);
    const after = (await settledUsage(key))!;
    const price = defaultFakeModels.find((model) => model.id === MODEL)!;
    const cost = (completionTokens: number) => estimatePromptTokens(MESSAGES) * Number(price.prompt) + completionTokens * Number(price.completion);
    process.stdout.write(
      `cut stream (${CUT_AT} of ${CHUNKS} chunks): spent_usd before ${before.spent_usd}, after ${after.spent_usd} (jobs ${before.jobs} -> ${after.jobs}); ` +
        `expected between ${cost(CUT_AT).toFixed(8)} and ${cost(CHUNKS).toFixed(8)}\n`,
    );
    expect(before.spent_usd).toBe(0);
    expect(after.jobs).toBe(1);
    expect(after.spent_usd).toBeGreaterThanOrEqual(cost(CUT_AT) - 1e-9);
    expect(after.spent_usd).toBeLessThanOrEqual(cost(CHUNKS) + 1e-9);

    // A budget of about three and a half cut streams (one stream's reservation prices all its max_tokens): cut
    // streams are refused with 402 once it is spent, and the spend never passes it.
    const budget = after.spent_usd + cost(CHUNKS) * 3.5;
    expect((await call('PATCH', `${apiA.baseUrl}/admin/keys/${id}`, ADMIN, { daily_budget_usd: budget })).status).toBe(200);
    const statuses: number[] = [];
    for (let index = 0; index < 10 && !statuses.includes(402); index += 1) {
      statuses.push(await cutStream(key));
      await settledUsage(key);
    }
    const final = (await settledUsage(key))!;
    process.stdout.write(`cut streams against a budget of ${budget.toFixed(8)} USD: ${statuses.join(' ')}; spent_usd ${final.spent_usd}\n`);
    expect(statuses.at(-1)).toBe(402);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(3);
    expect(final.spent_usd).toBeLessThanOrEqual(budget);
    expect(upstream.requests.length).toBe(1 + statuses.filter((status) => status === 200).length);
  });
});
