import type { RequestLogRecord } from '@gateway/contracts';
import { uniqueLimitsPrefix, useRedisSuite } from '@gateway/testing';
import { createBudget } from './budget';
import { createRequestLog, type RequestLogOptions } from './request-log';

const suite = useRedisSuite();

const record = (overrides: Partial<RequestLogRecord> = {}): RequestLogRecord => ({
  time: new Date().toISOString(),
  request_id: 'req-1',
  job_id: 'job-1',
  key_id: null,
  agent_id: null,
  route: '/v1/chat/completions',
  model: 'm/one',
  provider: 'openrouter',
  deployment: 'openrouter',
  status: 200,
  error_type: null,
  latency_ms: 12,
  ttft_ms: null,
  queue_ms: 1,
  tokens: { prompt: 10, cached: 0, completion: 5, reasoning: 0 },
  cost_usd: 0.001,
  cache: 'miss',
  ...overrides,
});

const requestLog = (options: Partial<RequestLogOptions> = {}) =>
  createRequestLog({ redis: suite.client, prefix: uniqueLimitsPrefix('request-log'), maxEntries: 1000, maxAgeSeconds: 3600, ...options });

describe('the request log in Redis', () => {
  it('pages newest first with filters on key, agent, model, provider and status (a status or a class)', async () => {
    const log = requestLog();
    const kinds = [
      { key_id: 'k1', agent_id: 'a1', model: 'm/one', provider: 'openrouter', status: 200 },
      { key_id: 'k2', agent_id: 'a2', model: 'm/two', provider: 'ollama', status: 502, error_type: 'upstream_error' as const },
      { key_id: 'k1', agent_id: 'a2', model: 'm/one', provider: 'openrouter', status: 429, error_type: 'rate_limited' as const },
    ];
    for (let index = 0; index < 9; index += 1) await log.append(record({ request_id: `req-${index}`, ...kinds[index % 3]! }));
    const all = await log.page({ limit: 100 });
    expect(all.entries.map((entry) => entry.request_id)).toEqual(['req-8', 'req-7', 'req-6', 'req-5', 'req-4', 'req-3', 'req-2', 'req-1', 'req-0']);
    expect(all.hasMore).toBe(false);
    expect(all.entries[0]).toMatchObject({ object: 'request_log.entry', id: expect.stringMatching(/^\d+-\d+$/) });
    const ids = async (filter: Parameters<typeof log.page>[0]) => (await log.page(filter)).entries.map((entry) => entry.request_id);
    expect(await ids({ limit: 100, keyId: 'k1' })).toEqual(['req-8', 'req-6', 'req-5', 'req-3', 'req-2', 'req-0']);
    expect(await ids({ limit: 100, keyId: 'k1', agentId: 'a2' })).toEqual(['req-8', 'req-5', 'req-2']);
    expect(await ids({ limit: 100, model: 'm/two' })).toEqual(['req-7', 'req-4', 'req-1']);
    expect(await ids({ limit: 100, provider: 'ollama', status: '5xx' })).toEqual(['req-7', 'req-4', 'req-1']);
    expect(await ids({ limit: 100, status: '429' })).toEqual(['req-8', 'req-5', 'req-2']);
    expect(await ids({ limit: 100, status: '4xx', model: 'm/two' })).toEqual([]);
  });

  it('pages with limit and after, and bounds the time with since and until', async () => {
    const log = requestLog();
    for (let index = 0; index < 5; index += 1) await log.append(record({ request_id: `req-${index}` }));
    const first = await log.page({ limit: 2 });
    expect(first.entries.map((entry) => entry.request_id)).toEqual(['req-4', 'req-3']);
    expect(first.hasMore).toBe(true);
    const second = await log.page({ limit: 2, after: first.entries[1]!.id });
    expect(second.entries.map((entry) => entry.request_id)).toEqual(['req-2', 'req-1']);
    const last = await log.page({ limit: 2, after: second.entries[1]!.id });
    expect(last).toMatchObject({ hasMore: false });
    expect(last.entries.map((entry) => entry.request_id)).toEqual(['req-0']);
    const idMs = (id: string) => Number(id.split('-')[0]);
    const all = (await log.page({ limit: 10 })).entries;
    expect((await log.page({ limit: 10, untilMs: idMs(all[4]!.id) - 1 })).entries).toEqual([]);
    expect((await log.page({ limit: 10, sinceMs: idMs(all[0]!.id) + 1 })).entries).toEqual([]);
    expect((await log.page({ limit: 10, sinceMs: idMs(all[4]!.id), untilMs: idMs(all[0]!.id) })).entries).toHaveLength(5);
  });

  it('keeps at most REQUEST_LOG_MAX_ENTRIES, the oldest going first, and nothing older than its age', async () => {
    let now = Date.now();
    const log = requestLog({ maxEntries: 5, clock: () => now });
    for (let index = 0; index < 12; index += 1) await log.append(record({ request_id: `req-${index}` }));
    const key = log.appendCall(record())!.key;
    expect(await suite.client.xlen(key)).toBe(5);
    expect((await log.page({ limit: 100 })).entries.map((entry) => entry.request_id)).toEqual(['req-11', 'req-10', 'req-9', 'req-8', 'req-7']);
    now += 3601 * 1000;
    expect((await log.page({ limit: 100 })).entries).toEqual([]);
  });

  it('writes nothing when REQUEST_LOG_MAX_ENTRIES is 0', async () => {
    const log = requestLog({ maxEntries: 0 });
    await log.append(record());
    expect(log.appendCall(record())).toBeUndefined();
    expect(await log.page({ limit: 10 })).toEqual({ entries: [], hasMore: false });
  });

  it('appends a completed request inside its settlement, once per billed call, bounded there too', async () => {
    const prefix = uniqueLimitsPrefix('request-log-settle');
    const log = createRequestLog({ redis: suite.client, prefix, maxEntries: 2, maxAgeSeconds: 3600 });
    const budget = createBudget({ redis: suite.client, prefix, dailyLimitUsd: 10, monthlyLimitUsd: 100, reservationTtlMs: 60_000 });
    const charge = { costUsd: 0.01, agentId: undefined, model: 'm/one', provider: 'openrouter' };
    await budget.reserve('job-a', 0.1);
    expect(await budget.settle('job-a', charge, undefined, '1', log.appendCall(record({ job_id: 'job-a' })))).toEqual({ billed: true });
    // The same call settled again (a second completion): not billed, not logged again.
    expect(await budget.settle('job-a', charge, undefined, '1', log.appendCall(record({ job_id: 'job-a' })))).toEqual({ billed: false });
    expect((await log.page({ limit: 10 })).entries.map((entry) => entry.job_id)).toEqual(['job-a']);
    for (const job of ['job-b', 'job-c']) await budget.settle(job, charge, undefined, '1', log.appendCall(record({ job_id: job })));
    expect((await log.page({ limit: 10 })).entries.map((entry) => entry.job_id)).toEqual(['job-c', 'job-b']);
  });
});
