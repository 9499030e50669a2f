import type { KeyPeriodSpend, SpendDay, SpendHistory } from '@gateway/contracts';
import type { LimitsPrefix, RedisClient } from '@gateway/queue';
import type { KeyLedger } from './budget';
import { limitKeys } from './keys';
import { nanoToUsd } from './money';
import { DAY_SPEND_TTL_SECONDS, utcPeriods } from './periods';
import { runIntegerScript, scripts } from './scripts';

export interface SpendReaderOptions {
  redis: RedisClient;
  prefix: LimitsPrefix;
  /** Picks today (injected in tests); default Date.now. */
  clock?: () => number;
}

/** The most days a history covers: a day's spend hash lives 40 days after its first booking. */
export const SPEND_HISTORY_MAX_DAYS = 40;
/** The name the smaller entries of a breakdown are summed under when it keeps only its largest. */
export const OTHER_NAMES = '(other)';

const dayMs = 24 * 3600 * 1000;
const dimensions = [
  ['by_key', 'key:'],
  ['by_model', 'model:'],
  ['by_provider', 'provider:'],
  ['by_agent', 'agent:'],
] as const;
type Dimension = (typeof dimensions)[number][0];
const tokenKinds = ['prompt', 'cached', 'completion', 'reasoning'] as const;

/** The `count` UTC days ending with the one `nowMs` falls in, oldest first (`2026-11-05`). */
export function lastUtcDays(nowMs: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => new Date(nowMs - (count - 1 - index) * dayMs).toISOString().slice(0, 10));
}

/** One day hash read in nano-USD: its total, its jobs and tokens, and each breakdown. */
interface RawDay {
  day: string;
  totalNano: number;
  jobs: number;
  tokens: Record<(typeof tokenKinds)[number], number>;
  breakdowns: Record<Dimension, Map<string, number>>;
}

function readDay(day: string, fields: Record<string, string>): RawDay {
  const breakdowns = Object.fromEntries(dimensions.map(([name]) => [name, new Map<string, number>()])) as RawDay['breakdowns'];
  for (const [field, value] of Object.entries(fields)) {
    const dimension = dimensions.find(([, prefix]) => field.startsWith(prefix));
    if (!dimension) continue;
    const name = field.slice(dimension[1].length) || '(none)';
    breakdowns[dimension[0]].set(name, (breakdowns[dimension[0]].get(name) ?? 0) + Number(value));
  }
  const number = (field: string) => Number(fields[field] ?? 0);
  return {
    day,
    totalNano: number('total'),
    jobs: number('jobs'),
    tokens: Object.fromEntries(tokenKinds.map((kind) => [kind, number(`tokens:${kind}`)])) as RawDay['tokens'],
    breakdowns,
  };
}

/** The names a breakdown keeps over the window: its `top` largest (ties by name, for a stable answer). */
function keptNames(days: readonly RawDay[], dimension: Dimension, top: number): Set<string> {
  const sums = new Map<string, number>();
  for (const day of days) for (const [name, nano] of day.breakdowns[dimension]) sums.set(name, (sums.get(name) ?? 0) + nano);
  const ranked = [...sums].sort(([nameA, a], [nameB, b]) => b - a || nameA.localeCompare(nameB));
  return new Set(ranked.slice(0, top).map(([name]) => name));
}

/** A breakdown in USD with the names outside `kept` summed under "(other)". */
function folded(breakdown: ReadonlyMap<string, number>, kept: ReadonlySet<string>): Record<string, number> {
  const out = new Map<string, number>();
  for (const [name, nano] of breakdown) {
    const label = kept.has(name) ? name : OTHER_NAMES;
    out.set(label, (out.get(label) ?? 0) + nano);
  }
  return Object.fromEntries([...out].map(([name, nano]) => [name, nanoToUsd(nano)]));
}

function sumDays(days: readonly RawDay[]): RawDay {
  const sum = readDay('', {});
  for (const day of days) {
    sum.totalNano += day.totalNano;
    sum.jobs += day.jobs;
    for (const kind of tokenKinds) sum.tokens[kind] += day.tokens[kind];
    for (const [dimension] of dimensions) {
      for (const [name, nano] of day.breakdowns[dimension]) sum.breakdowns[dimension].set(name, (sum.breakdowns[dimension].get(name) ?? 0) + nano);
    }
  }
  return sum;
}

/**
 * Reads the spend ledgers over time for operators: the gateway's (or one key's) spend per UTC day by key, model,
 * provider and agent, and every key's spend today and this month against its budgets. It reads what settlement
 * booked (the same hashes `GET /v1/usage` reads); it books nothing.
 */
export function createSpendReader(options: SpendReaderOptions) {
  const { redis, prefix } = options;
  const now = options.clock ?? Date.now;

  return {
    /** The last `days` UTC days (today's included), each breakdown cut to its `top` names over the window. */
    async history(query: { days: number; top: number; keyId?: string | undefined }): Promise<SpendHistory> {
      const days = lastUtcDays(now(), Math.min(SPEND_HISTORY_MAX_DAYS, Math.max(1, Math.trunc(query.days))));
      // Calls settled since the last fold are booked first, so the figures are exact (as usage reports fold).
      await runIntegerScript(redis, scripts.usageFold, [limitKeys.usagePending(prefix)], [DAY_SPEND_TTL_SECONDS]);
      const hashKey = (day: string) => (query.keyId === undefined ? limitKeys.daySpend(prefix, day) : limitKeys.keyDaySpend(prefix, query.keyId, day));
      const raw = (await Promise.all(days.map((day) => redis.hgetall(hashKey(day))))).map((fields, index) => readDay(days[index]!, fields));
      const kept = Object.fromEntries(dimensions.map(([dimension]) => [dimension, keptNames(raw, dimension, query.top)])) as Record<Dimension, Set<string>>;
      const view = (day: RawDay): Omit<SpendDay, 'day'> => ({
        spent_usd: nanoToUsd(day.totalNano),
        jobs: day.jobs,
        ...(query.keyId === undefined ? { by_key: folded(day.breakdowns.by_key, kept.by_key) } : {}),
        by_model: folded(day.breakdowns.by_model, kept.by_model),
        by_provider: folded(day.breakdowns.by_provider, kept.by_provider),
        by_agent: folded(day.breakdowns.by_agent, kept.by_agent),
        tokens: { ...day.tokens },
      });
      return {
        object: 'spend.history',
        key_id: query.keyId ?? null,
        from: days[0]!,
        to: days[days.length - 1]!,
        top: query.top,
        total: view(sumDays(raw)),
        data: raw.map((day) => ({ day: day.day, ...view(day) })),
      };
    },

    /** Each key's settled spend today and this month (UTC) and what it has in flight, against its own budgets. */
    async keyPeriods(keys: readonly KeyLedger[]): Promise<Map<string, { day: KeyPeriodSpend; month: KeyPeriodSpend }>> {
      const { day, month } = utcPeriods(now());
      const readings = await Promise.all(
        keys.map((key) =>
          Promise.all([
            redis.hget(limitKeys.keyDaySpend(prefix, key.id, day), 'total'),
            redis.hget(limitKeys.keyMonthSpend(prefix, key.id, month), 'total'),
            redis.hget(limitKeys.keyInFlight(prefix, key.id), 'total'),
          ]),
        ),
      );
      const period = (name: string, spentNano: string | null, inFlightNano: string | null, limitUsd: number | undefined): KeyPeriodSpend => {
        const spent = nanoToUsd(Number(spentNano ?? 0));
        const inFlight = nanoToUsd(Math.max(0, Number(inFlightNano ?? 0)));
        return {
          period: name,
          spent_usd: spent,
          in_flight_usd: inFlight,
          budget_usd: limitUsd ?? null,
          remaining_usd: limitUsd === undefined ? null : Math.max(0, limitUsd - spent - inFlight),
        };
      };
      return new Map(
        keys.map((key, index) => {
          const [daySpent = null, monthSpent = null, inFlight = null] = readings[index]!;
          return [key.id, { day: period(day, daySpent, inFlight, key.dailyLimitUsd), month: period(month, monthSpent, inFlight, key.monthlyLimitUsd) }];
        }),
      );
    },
  };
}

export type SpendReader = ReturnType<typeof createSpendReader>;
