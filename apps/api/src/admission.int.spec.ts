import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '@gateway/config';
import { GatewayError } from '@gateway/contracts';
import { createBudget, createPriceBook, createRateLimiter } from '@gateway/limits';
import { createMetrics } from '@gateway/observability';
import { limitsPrefix } from '@gateway/queue';
import { uniquePrefix, useRedisSuite } from '@gateway/testing';
import { createAdmission, type AdmittedBody } from './admission';

/** Admission on a real Redis: what each route relies on before it enqueues (rate limit, reservation, refusals). */
const suite = useRedisSuite();
const queues: Queue[] = [];
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
});

const body = (overrides: Partial<AdmittedBody> = {}): AdmittedBody => ({
  agent_id: 'agent-a',
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'hello there' }],
  max_tokens: 1000,
  ...overrides,
});

function setup(options: { burst?: string; daily?: string; limits?: boolean; gatedAdds?: boolean; fused?: boolean } = {}) {
  const config = loadConfig({
    LLM_PROVIDER: 'openrouter',
    OPENROUTER_API_KEY: 'sk-or-admission',
    QUEUE_PREFIX: uniquePrefix('admission'),
    GATEWAY_RATE_RPS: '1',
    GATEWAY_RATE_BURST: options.burst ?? '2',
    LLM_DAILY_BUDGET_USD: options.daily ?? '10',
    GATEWAY_LIMITS_ENABLED: options.limits === false ? 'false' : 'true',
    ...(options.fused === false ? { GATEWAY_FUSED_ENQUEUE: 'false' } : {}),
  });
  const prefix = limitsPrefix(config);
  const metrics = createMetrics({ app: 'api', defaultMetrics: false });
  const budget = createBudget({
    redis: suite.client,
    prefix,
    dailyLimitUsd: config.limits.dailyBudgetUsd,
    monthlyLimitUsd: config.limits.monthlyBudgetUsd,
    reservationTtlMs: 60_000,
  });
  const rateLimiter = createRateLimiter({ redis: suite.client, prefix, ratePerSecond: config.limits.rateRps, burst: config.limits.rateBurst });
  const admission = createAdmission({
    config,
    redis: suite.client,
    rateLimiter,
    budget,
    pricing: createPriceBook(),
    metrics,
    gatedAdds: options.gatedAdds ?? true,
  });
  const queue = new Queue<{ reservedUsd: number }>('chat', {
    connection: { host: '127.0.0.1', port: Number(new URL(suite.redis.url).port) },
    prefix: `{${prefix}}`,
  });
  queues.push(queue);
  const refusals = async (limit: string) => (await metrics.rateLimitRejections.get()).values.find((value) => value.labels.limit === limit)?.value ?? 0;
  return { admission, budget, queue, config, refusals };
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('admit', () => {
  it('reserves the estimate of the dearest servable attempt, once per job id', async () => {
    const { admission, budget } = setup();
    const { reservedUsd } = await admission.admit(body(), 'job-1');
    expect(reservedUsd).toBeGreaterThan(0);
    expect((await budget.usage()).day.in_flight_usd).toBeCloseTo(reservedUsd, 9);
    // A longer answer allowed costs more to reserve.
    expect((await admission.admit(body({ max_tokens: 4000 }), 'job-2')).reservedUsd).toBeGreaterThan(reservedUsd);
  });

  it('refuses past the burst with a 429 that says when to retry, and reserves nothing for it', async () => {
    const { admission, budget, refusals } = setup({ burst: '1' });
    await admission.admit(body(), 'first');
    const before = (await budget.usage()).day.in_flight_usd;
    const error = await refusal(admission.admit(body(), 'second'));
    expect(error.type).toBe('rate_limited');
    expect(error.status).toBe(429);
    expect(error.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toContain('agent "agent-a"');
    expect((await budget.usage()).day.in_flight_usd).toBe(before);
    expect(await refusals('rate')).toBe(1);
    // Another agent has its own bucket.
    await expect(admission.admit(body({ agent_id: 'agent-b' }), 'third')).resolves.toMatchObject({ reservedUsd: expect.any(Number) });
  });

  it('refuses a request whose estimate passes the daily budget with a 402 naming the figures', async () => {
    const { admission, refusals } = setup({ daily: '0.000001' });
    const error = await refusal(admission.admit(body(), 'dear'));
    expect(error.type).toBe('budget_exceeded');
    expect(error.status).toBe(402);
    expect(error.message).toMatch(/daily budget exceeded for \d{4}-\d{2}-\d{2}/);
    expect(await refusals('daily_budget')).toBe(1);
  });

  it("takes the key's bucket and budget instead of the agent's when the request came with a key", async () => {
    const { admission } = setup({ burst: '1' });
    const key = { id: 'team-a', ratePerSecond: 1, burst: 5, dailyLimitUsd: 0.000001 };
    const error = await refusal(admission.admit(body(), 'keyed', { agentId: 'agent-a', key }));
    expect(error.type).toBe('budget_exceeded');
    expect(error.message).toContain('key team-a');
    // The key's bucket (burst 5) is not the global one (burst 1): a rate refusal would have named the key.
    const cheap = { ...key, dailyLimitUsd: undefined };
    for (let call = 0; call < 3; call += 1) await admission.admit(body(), `keyed-${call}`, { agentId: 'agent-a', key: cheap });
  });

  it('admits everything without touching Redis when limits are off', async () => {
    const down = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => undefined);
    const config = loadConfig({
      LLM_PROVIDER: 'openrouter',
      OPENROUTER_API_KEY: 'sk-or-admission',
      QUEUE_PREFIX: uniquePrefix('admission-off'),
      GATEWAY_LIMITS_ENABLED: 'false',
    });
    const prefix = limitsPrefix(config);
    const admission = createAdmission({
      config,
      redis: down,
      rateLimiter: createRateLimiter({ redis: down, prefix, ratePerSecond: 1, burst: 1 }),
      budget: createBudget({ redis: down, prefix, dailyLimitUsd: 0, monthlyLimitUsd: 0, reservationTtlMs: 1000 }),
      pricing: createPriceBook(),
      metrics: createMetrics({ app: 'api', defaultMetrics: false }),
      gatedAdds: true,
    });
    expect(await admission.admit(body(), 'free')).toEqual({ reservedUsd: 0 });
    await expect(admission.checkRate({ agentId: 'a' }, 100)).resolves.toBeUndefined();
    expect(admission.fusesEnqueue).toBe(false);
    down.disconnect();
  });
});

describe('admitAndAdd', () => {
  it('adds the job with the amount it reserved, in the same step', async () => {
    const { admission, queue, budget } = setup();
    const { data } = await admission.admitAndAdd(queue, body(), { name: 'chat', opts: { jobId: 'fused' }, data: (reservedUsd) => ({ reservedUsd }) });
    const job = await queue.getJob('fused');
    expect(job?.data).toEqual(data);
    expect((await budget.usage()).day.in_flight_usd).toBeCloseTo(data.reservedUsd, 9);
  });

  it('adds nothing when refused', async () => {
    const { admission, queue, budget } = setup({ daily: '0.000001' });
    const error = await refusal(admission.admitAndAdd(queue, body(), { name: 'chat', opts: { jobId: 'refused' }, data: (reservedUsd) => ({ reservedUsd }) }));
    expect(error.type).toBe('budget_exceeded');
    expect(await queue.getJob('refused')).toBeUndefined();
    expect((await budget.usage()).day.in_flight_usd).toBe(0);
  });

  it('is offered only when admission and the add can share a script', () => {
    expect(setup().admission.fusesEnqueue).toBe(true);
    expect(setup({ gatedAdds: false }).admission.fusesEnqueue).toBe(false);
    expect(setup({ fused: false }).admission.fusesEnqueue).toBe(false);
  });
});

describe('reserveBatch and release', () => {
  it('reserves every request of a batch or none, and release gives a reservation back', async () => {
    const { admission, budget } = setup({ daily: '0.05' });
    const ids = Array.from({ length: 3 }, (_, index) => `batch-${index}`);
    const estimates = await admission.reserveBatch(
      ids.map(() => body({ max_tokens: 100 })),
      ids,
    );
    expect(estimates).toHaveLength(3);
    const held = (await budget.usage()).day.in_flight_usd;
    expect(held).toBeCloseTo(
      estimates.reduce((sum, estimate) => sum + estimate, 0),
      9,
    );

    const many = Array.from({ length: 5000 }, (_, index) => `big-${index}`);
    const error = await refusal(
      admission.reserveBatch(
        many.map(() => body({ max_tokens: 4000 })),
        many,
      ),
    );
    expect(error.type).toBe('budget_exceeded');
    expect((await budget.usage()).day.in_flight_usd).toBeCloseTo(held, 9);

    await admission.release('batch-0');
    expect((await budget.usage()).day.in_flight_usd).toBeCloseTo(held - estimates[0]!, 9);
  });
});

describe('one request reserves at most BUDGET_MAX_RESERVATION_SHARE of a budget', () => {
  // gpt-4o-mini answers at $0.60 per million tokens: max_tokens 330,000 reserves ~$0.198, a third of $0.60.
  it('refuses (402, asking for fewer max_tokens) a request whose estimate is more than a quarter of the global budget, reserving nothing', async () => {
    const { admission, budget, refusals } = setup({ daily: '0.6', burst: '10' });
    const outcomes = await Promise.allSettled([1, 2, 3].map((index) => admission.admit(body({ max_tokens: 330_000 }), `huge-${index}`)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const error = (outcomes[0] as PromiseRejectedResult).reason as GatewayError;
    expect(error).toMatchObject({ type: 'budget_exceeded', status: 402 });
    expect(error.message).toMatch(/more than the 25% of the daily budget \(\$0\.60*\) one request may reserve; ask for fewer max_tokens/);
    expect((await budget.usage()).day.in_flight_usd).toBe(0);
    expect(await refusals('reservation_share')).toBe(3);
    // A tenth of it is reserved as before.
    expect((await admission.admit(body({ max_tokens: 100_000 }), 'fits')).reservedUsd).toBeGreaterThan(0.05);
  });

  it("bounds a reservation by the key's own budget too, naming the key", async () => {
    const { admission } = setup({ burst: '10' });
    const key = { id: 'key_sharesharesharesh', dailyLimitUsd: 0.1 };
    const error = await refusal(admission.admit(body({ max_tokens: 100_000 }), 'key-huge', { agentId: 'a', key }));
    expect(error.message).toMatch(/^key key_sharesharesharesh: .* of the daily budget \(\$0\.10*\)/);
    await expect(admission.admit(body({ max_tokens: 10_000 }), 'key-fits', { agentId: 'a', key })).resolves.toMatchObject({
      reservedUsd: expect.any(Number),
    });
  });
});
