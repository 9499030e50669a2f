import { Redis } from 'ioredis';
import { uniqueLimitsPrefix, useRedisSuite, waitFor } from '@gateway/testing';
import { runAdmit } from './admit';
import { createBudget, type KeyLedger } from './budget';
import { createRateLimiter } from './rate-limiter';

/** What one admission and one settlement cost Redis: the commands their scripts run (MONITOR's `lua` lines). */
const suite = useRedisSuite();

const now = Date.UTC(2026, 10, 21, 12, 0, 0);
const team: KeyLedger = { id: 'key_count', dailyLimitUsd: 50, monthlyLimitUsd: 500 };

function setup() {
  const prefix = uniqueLimitsPrefix('count');
  const budget = createBudget({ redis: suite.client, prefix, dailyLimitUsd: 100, monthlyLimitUsd: 1000, reservationTtlMs: 60_000, clock: () => now });
  const rateLimiter = createRateLimiter({ redis: suite.client, prefix, ratePerSecond: 1000, burst: 1000, clock: () => now });
  return { budget, rateLimiter };
}
const charge = (keyId?: string) => ({ costUsd: 0.01, agentId: 'agent', model: 'm', provider: 'openrouter', keyId });

/** The commands Redis runs inside scripts while `work` runs (a marker command on each side fences them). */
async function scriptCommands(work: () => Promise<unknown>): Promise<string[]> {
  const monitor = await new Redis(suite.redis.url).monitor();
  const lines: { source: string; args: string[] }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => lines.push({ source, args }));
  try {
    await suite.client.echo('count-start');
    await work();
    await suite.client.echo('count-end');
    await waitFor(() => lines.some((line) => line.args[0]?.toLowerCase() === 'echo' && line.args[1] === 'count-end'), 2000, 5);
  } finally {
    monitor.disconnect();
  }
  const start = lines.findIndex((line) => line.args[1] === 'count-start');
  return lines
    .slice(start + 1)
    .filter((line) => line.source === 'lua')
    .map((line) => line.args[0]!.toUpperCase());
}

describe('Redis commands per request in the budget ledger scripts', () => {
  // The reservation's part of an admission (after the token bucket's commands, which end with its TIME): the
  // ledgers' figures, then per job one GET and one SET of its record, and per ledger its ZADD and
  // HINCRBY. A settlement's and a release's: the record's SET … GET, then per ledger a ZREM and an HINCRBY.
  // (When each ledger kept a field per job: admission EXISTS, HEXISTS, then per ledger HSET, ZADD, HINCRBY; settlement
  // SET … GET then per ledger HGET, HDEL, HINCRBY, ZREM; release GET, per ledger HGET, HDEL, HINCRBY, ZREM (without a
  // key, HGET and ZREM of its dummies), then SET: 20/24/10 commands with a key, 13/12/8 without; then 18/20/5 and 12/10/3
  // while every admission swept (one ZRANGEBYSCORE per ledger, now only when needed: below).)
  // The lapse sweep (ZRANGEBYSCORE per ledger) runs only when a check would refuse, or on the server clock's one ms in
  // 64: an admission that lands on such a ms is measured again.
  const figures = (ledgers: number) => Array.from({ length: ledgers }, () => ['HGET', 'HGET', 'HGET']).flat();
  const unswept = async (work: () => Promise<unknown>) => {
    for (;;) {
      const commands = await scriptCommands(work);
      if (!commands.includes('ZRANGEBYSCORE')) return commands;
    }
  };
  it.each([
    ['keyed', team, 2],
    ['anonymous', undefined, 1],
  ] as const)('%s: admission, settlement, release', async (kind, key, ledgers) => {
    const { budget, rateLimiter } = setup();
    const parts = { budget, rateLimiter };
    // A warm ledger: the period's spend hashes exist (their first job sets their lifetime, once).
    await runAdmit(suite.client, parts, { agentId: 'agent', key }, `${kind}-0`, 0.02);
    await budget.settle(`${kind}-0`, charge(key?.id));
    let attempt = 0;
    const admit = await unswept(() => runAdmit(suite.client, parts, { agentId: 'agent', key }, `${kind}-1-${(attempt += 1)}`, 0.02));
    const settle = await scriptCommands(() => budget.settle(`${kind}-1-${attempt}`, charge(key?.id)));
    await runAdmit(suite.client, parts, { agentId: 'agent', key }, `${kind}-2`, 0.02);
    const release = await scriptCommands(() => budget.release(`${kind}-2`, key?.id));
    process.stdout.write(
      `${kind}: admission ${admit.length} [${admit.join(' ')}]\n${kind}: settlement ${settle.length} [${settle.join(' ')}]\n${kind}: release ${release.length} [${release.join(' ')}]\n`,
    );
    const drops = Array.from({ length: ledgers }, () => ['ZREM', 'HINCRBY']).flat();
    expect(admit.slice(admit.indexOf('TIME') + 1)).toEqual([
      ...figures(ledgers),
      'GET',
      'SET',
      ...Array.from({ length: ledgers }, () => ['ZADD', 'HINCRBY']).flat(),
    ]);
    // Then the booking: per ledger its day's and its month's `total`; the breakdown and `jobs` go to the usage list
    // (one RPUSH, folded later: usage-fold.int.spec.ts).
    expect(settle).toEqual(['SET', ...drops, ...Array.from({ length: 2 * ledgers }, () => 'HINCRBY'), 'RPUSH']);
    expect(release).toEqual(['SET', ...drops]);
  });
});
