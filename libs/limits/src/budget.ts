import type { PeriodSpend, UsageReport } from '@gateway/contracts';
import type { RedisClient } from '@gateway/queue';
import { limitKeys, spendFields } from './keys';
import { nanoToUsd, usdToNano } from './money';
import { DAY_SPEND_TTL_SECONDS, JOB_BILLING_TTL_SECONDS, MONTH_SPEND_TTL_SECONDS, utcPeriods } from './periods';
import { LimitScriptCode, LimitScriptOk, runScript, scripts } from './scripts';

/** Options of the budget ledger. */
export interface BudgetOptions {
  redis: RedisClient;
  /** Key prefix (QUEUE_PREFIX). */
  prefix: string;
  /** LLM_DAILY_BUDGET_USD */
  dailyLimitUsd: number;
  /** LLM_MONTHLY_BUDGET_USD */
  monthlyLimitUsd: number;
  /** How long a reservation holds when its job is never settled nor released. */
  reservationTtlMs: number;
  /** Picks the UTC day and month (injected in tests); default Date.now. */
  clock?: () => number;
}

/** Which budget refused, with the figures for the 402 message. */
export interface BudgetRefusal {
  budget: 'daily' | 'monthly';
  period: string;
  spentUsd: number;
  inFlightUsd: number;
  limitUsd: number;
  estimateUsd: number;
}

export type ReserveOutcome = { reserved: true; alreadyReserved: boolean } | ({ reserved: false } & BudgetRefusal);

/** The reservation script call of one job: its keys and arguments, and how to read its reply. */
export interface ReserveCall {
  keys: string[];
  args: (string | number)[];
  outcome(reply: readonly number[]): ReserveOutcome;
}

/** What a finished job is billed for. */
export interface JobCharge {
  costUsd: number;
  agentId: string | undefined;
  model: string;
  provider: string;
}

/** A message to PUBLISH in the same round trip as a settlement (a sync job's reply), once the job is billed. */
export interface SettleReply {
  channel: string;
  message: string;
}

/** Spend of one period, against its budget: the shape of `GET /v1/usage` (libs/contracts). */
export type PeriodUsage = PeriodSpend;

/** Adds spend hashes field by field (a month's breakdown is the sum of its days). */
function sumFields(hashes: readonly Record<string, string>[]): Record<string, string> {
  const sums = new Map<string, number>();
  for (const hash of hashes) for (const [name, value] of Object.entries(hash)) sums.set(name, (sums.get(name) ?? 0) + Number(value));
  return Object.fromEntries([...sums].map(([name, value]) => [name, String(value)]));
}

/** The UTC days of `month` from its first up to `day`, e.g. `2026-11-01` … `2026-11-26`. */
function daysOfMonthUntil(month: string, day: string): string[] {
  const last = Number(day.slice(8, 10));
  return Array.from({ length: last }, (_, index) => `${month}-${String(index + 1).padStart(2, '0')}`);
}

function periodUsage(period: string, fields: Record<string, string>, breakdown: Record<string, string>, inFlightNano: number, limitUsd: number): PeriodUsage {
  const byPrefix = (prefix: string) =>
    Object.fromEntries(
      Object.entries(breakdown)
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, value]) => [name.slice(prefix.length) || '(none)', nanoToUsd(Number(value))]),
    );
  const spent = nanoToUsd(Number(fields['total'] ?? 0));
  const inFlight = nanoToUsd(inFlightNano);
  return {
    period,
    spent_usd: spent,
    in_flight_usd: inFlight,
    budget_usd: limitUsd,
    remaining_usd: Math.max(0, limitUsd - spent - inFlight),
    jobs: Number(fields['jobs'] ?? 0),
    by_agent: byPrefix('agent:'),
    by_model: byPrefix('model:'),
    by_provider: byPrefix('provider:'),
  };
}

/**
 * Daily and monthly budgets with reservations: admission reserves an estimate atomically against
 * spend + in-flight reservations; completion settles to the real cost (once per job id); failure releases.
 */
export function createBudget(options: BudgetOptions) {
  const { redis, prefix } = options;
  const now = options.clock ?? Date.now;
  const keysFor = (jobId: string) => {
    const { day, month } = utcPeriods(now());
    return {
      day,
      month,
      keys: [limitKeys.inFlight(prefix), limitKeys.inFlightExpiry(prefix), limitKeys.daySpend(prefix, day), limitKeys.monthSpend(prefix, month), limitKeys.jobBilling(prefix, jobId)],
    };
  };

  /** The first arguments of budget-reserve.lua: the limits and the reservation lifetime. */
  const limitArgs = () => [usdToNano(options.dailyLimitUsd), usdToNano(options.monthlyLimitUsd), Math.max(1, Math.round(options.reservationTtlMs))];

  /** Which budget refused, from a reservation script's code and its figures (day spent, month spent, in flight). */
  const refusal = (code: number, [daySpent = 0, monthSpent = 0, inFlight = 0]: readonly number[], periods: { day: string; month: string }, estimateUsd: number): BudgetRefusal => {
    const daily = code === LimitScriptCode.DailyExceeded;
    if (!daily && code !== LimitScriptCode.MonthlyExceeded) throw new Error(`budget reservation failed with code ${code}`);
    return {
      budget: daily ? 'daily' : 'monthly',
      period: daily ? periods.day : periods.month,
      spentUsd: nanoToUsd(daily ? daySpent : monthSpent),
      inFlightUsd: nanoToUsd(inFlight),
      limitUsd: daily ? options.dailyLimitUsd : options.monthlyLimitUsd,
      estimateUsd,
    };
  };

  const budget = {
    /** The reservation script call (keys, arguments, reply reader), for a caller that runs it with others (admitOnce). */
    reserveCall(jobId: string, estimateUsd: number): ReserveCall {
      const { day, month, keys } = keysFor(jobId);
      return {
        keys,
        args: [...limitArgs(), jobId, usdToNano(estimateUsd)],
        outcome([code = 0, ...figures]) {
          if (code === LimitScriptOk.Done || code === LimitScriptOk.AlreadyDone) return { reserved: true, alreadyReserved: code === LimitScriptOk.AlreadyDone };
          return { reserved: false, ...refusal(code, figures, { day, month }, estimateUsd) };
        },
      };
    },

    /**
     * Reserves the estimates of several jobs (a batch) in one script: all of them, or none (then says which job
     * and which budget refused). Idempotent on each job id, like `reserve`.
     */
    async reserveAll(jobs: readonly { jobId: string; estimateUsd: number }[]): Promise<{ reserved: true } | ({ reserved: false; index: number } & BudgetRefusal)> {
      if (jobs.length === 0) return { reserved: true };
      const { day, month, keys } = keysFor(jobs[0]!.jobId);
      const [code = 0, daySpent = 0, monthSpent = 0, inFlight = 0, position = 0] = await runScript(
        redis,
        scripts.budgetReserve,
        [...keys.slice(0, 4), ...jobs.map((job) => limitKeys.jobBilling(prefix, job.jobId))],
        [...limitArgs(), ...jobs.flatMap((job) => [job.jobId, usdToNano(job.estimateUsd)])],
      );
      if (code === LimitScriptOk.Done || code === LimitScriptOk.AlreadyDone) return { reserved: true };
      const index = position - 1;
      return { reserved: false, index, ...refusal(code, [daySpent, monthSpent, inFlight], { day, month }, jobs[index]?.estimateUsd ?? 0) };
    },

    /** Reserves `estimateUsd` for the job, or says which budget refuses. Idempotent on the job id. */
    async reserve(jobId: string, estimateUsd: number): Promise<ReserveOutcome> {
      const { keys, args, outcome } = budget.reserveCall(jobId, estimateUsd);
      return outcome(await runScript(redis, scripts.budgetReserve, keys, args));
    },

    /**
     * Bills a finished job's real cost to the current UTC day and month, once per job id, then publishes `reply`
     * (if given) in the same script: a waiting caller hears of the job only once it is billed. Returns whether
     * it billed now.
     */
    async settle(jobId: string, charge: JobCharge, reply?: SettleReply): Promise<{ billed: boolean }> {
      const { keys } = keysFor(jobId);
      const [code] = await runScript(redis, scripts.budgetSettle, keys, [
        jobId,
        usdToNano(charge.costUsd),
        spendFields.agent(charge.agentId),
        spendFields.model(charge.model),
        spendFields.provider(charge.provider),
        DAY_SPEND_TTL_SECONDS,
        MONTH_SPEND_TTL_SECONDS,
        JOB_BILLING_TTL_SECONDS,
        reply?.channel ?? '',
        reply?.message ?? '',
      ]);
      return { billed: code === LimitScriptOk.Done };
    },

    /** Gives back a failed or cancelled job's reservation (a no-op when it was billed already). */
    async release(jobId: string): Promise<{ releasedUsd: number }> {
      const [code, amount = 0] = await runScript(
        redis,
        scripts.budgetRelease,
        [limitKeys.inFlight(prefix), limitKeys.inFlightExpiry(prefix), limitKeys.jobBilling(prefix, jobId)],
        [jobId, JOB_BILLING_TTL_SECONDS],
      );
      return { releasedUsd: code === LimitScriptOk.Done ? nanoToUsd(amount) : 0 };
    },

    /**
     * Spend today and this month (UTC), overall and by agent, model and provider, against the budgets. The month's
     * totals are its own counters (what its budget checks); its breakdown sums its days (settlement books the
     * breakdown per day only, which keeps a settlement to one hash per dimension).
     */
    async usage(): Promise<UsageReport> {
      const { day, month } = utcPeriods(now());
      const days = daysOfMonthUntil(month, day);
      const [monthFields, inFlight, ...dayHashes] = await Promise.all([
        redis.hgetall(limitKeys.monthSpend(prefix, month)),
        redis.hget(limitKeys.inFlight(prefix), 'total'),
        ...days.map((name) => redis.hgetall(limitKeys.daySpend(prefix, name))),
      ]);
      const dayFields = dayHashes[dayHashes.length - 1] ?? {};
      const inFlightNano = Math.max(0, Number(inFlight ?? 0));
      return {
        day: periodUsage(day, dayFields, dayFields, inFlightNano, options.dailyLimitUsd),
        month: periodUsage(month, monthFields, sumFields(dayHashes), inFlightNano, options.monthlyLimitUsd),
      };
    },
  };
  return budget;
}

export type Budget = ReturnType<typeof createBudget>;
