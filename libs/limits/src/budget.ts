import type { PeriodSpend, Usage, UsageReport } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { BudgetReading } from '@gateway/observability';
import { limitsPrefix, runLuaScript, type LimitsPrefix, type RedisClient } from '@gateway/queue';
import { limitKeys, spendFields } from './keys';
import { nanoToUsd, usdToNano } from './money';
import { DAY_SPEND_TTL_SECONDS, JOB_BILLING_TTL_SECONDS, MONTH_SPEND_TTL_SECONDS, OBSERVED_COST_TTL_SECONDS, utcPeriods } from './periods';
import type { RequestLogAppend } from './request-log';
import { LimitScriptCode, runIntegerScript, scripts } from './scripts';

export interface BudgetOptions {
  redis: RedisClient;
  /** Key prefix (QUEUE_PREFIX). */
  prefix: LimitsPrefix;
  /** LLM_DAILY_BUDGET_USD */
  dailyLimitUsd: number;
  /** LLM_MONTHLY_BUDGET_USD */
  monthlyLimitUsd: number;
  /** How long a reservation holds when its job is never settled nor released. */
  reservationTtlMs: number;
  /** Picks the UTC day and month (injected in tests); default Date.now. */
  clock?: () => number;
}

/** An API key's own budgets, checked and booked beside the global ones (absent limit: none). */
export interface KeyLedger {
  id: string;
  dailyLimitUsd?: number | undefined;
  monthlyLimitUsd?: number | undefined;
}

/** Which budget refused, with the figures for the 402 message: the global one, or the key's (`key` set). */
export interface BudgetRefusal {
  budget: 'daily' | 'monthly';
  /** The API key whose own budget refused; absent: a global budget. */
  key?: string;
  period: string;
  spentUsd: number;
  inFlightUsd: number;
  limitUsd: number;
  estimateUsd: number;
}

/** `reservedUsd`: what the ledger holds for the job: its estimate, or the model's learned cost when more. */
export type ReserveOutcome = { reserved: true; alreadyReserved: boolean; reservedUsd: number } | ({ reserved: false } & BudgetRefusal);

/** One job to reserve: its id, its estimate, and its model ('' or absent for a free call, which learns nothing). */
export interface ReserveJob {
  jobId: string;
  estimateUsd: number;
  model?: string | undefined;
}

/** The reservation script call of one job: its keys and arguments, and how to read its reply. */
export interface ReserveCall {
  keys: string[];
  args: (string | number)[];
  outcome(reply: readonly number[]): ReserveOutcome;
}

/** Tokens of a call by kind, as the usage report and the metrics count them. */
export interface TokenCounts {
  prompt: number;
  cached: number;
  completion: number;
  reasoning: number;
}

/** The token counts of a request that reached no provider (refused, failed before a call). */
export const noTokenCounts: Readonly<TokenCounts> = Object.freeze({ prompt: 0, cached: 0, completion: 0, reasoning: 0 });

/** The token counts of a provider's usage (OpenAI's shape, details where given). */
export function tokenCountsOf(usage: Usage): TokenCounts {
  return {
    prompt: usage.prompt_tokens,
    cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
    completion: usage.completion_tokens,
    reasoning: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

export interface JobCharge {
  costUsd: number;
  agentId: string | undefined;
  /** The API key the job was made with (its ledger is billed too). */
  keyId?: string | undefined;
  /** The model the request asked for, whose cost the next reservations learn from; absent: nothing learned. */
  learnModel?: string | undefined;
  /** The call's tokens by kind (cached is part of prompt, reasoning part of completion). */
  tokens?: TokenCounts | undefined;
  model: string;
  provider: string;
}

/** A message to PUBLISH in the same round trip as a settlement (a sync job's reply), once the job is billed. */
export interface SettleReply {
  channel: string;
  /** Text, or its bytes (a large reply built as bytes is published without a UTF-8 encoding of its own). */
  message: string | Buffer;
}

/**
 * A job's outcome to keep in the same script as its settlement (before its reply): its key, JSON and lifetime.
 * Standalone Redis only: the key lives in the queue's slot, the settlement's in `{spend}` (on a cluster the
 * caller writes it itself).
 */
export interface SettleKeep {
  key: string;
  value: string;
  seconds: number;
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

function periodUsage(
  period: string,
  fields: Record<string, string>,
  breakdown: Record<string, string>,
  inFlightNano: number,
  limitUsd: number | undefined,
  byKey: boolean,
): PeriodUsage {
  const byPrefix = (prefix: string) =>
    Object.fromEntries(
      Object.entries(breakdown)
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, value]) => [name.slice(prefix.length) || '(none)', nanoToUsd(Number(value))]),
    );
  const keys = byKey ? byPrefix('key:') : {};
  // Tokens are booked per day only: a month's are the sum of its days (its breakdown).
  const count = (field: string) => Number(breakdown[field] ?? 0);
  const spent = nanoToUsd(Number(fields['total'] ?? 0));
  const inFlight = nanoToUsd(inFlightNano);
  return {
    period,
    spent_usd: spent,
    in_flight_usd: inFlight,
    budget_usd: limitUsd ?? null,
    remaining_usd: limitUsd === undefined ? null : Math.max(0, limitUsd - spent - inFlight),
    // Counted per day (folded from the usage list); a month's is the sum of its days, as its breakdown is.
    jobs: count('jobs'),
    by_agent: byPrefix('agent:'),
    by_model: byPrefix('model:'),
    by_provider: byPrefix('provider:'),
    ...(Object.keys(keys).length > 0 ? { by_key: keys } : {}),
    tokens: { prompt: count('tokens:prompt'), cached: count('tokens:cached'), completion: count('tokens:completion'), reasoning: count('tokens:reasoning') },
    cached_requests: count('cache:requests'),
    cache_saved: { tokens: count('cache:tokens'), cost_usd: nanoToUsd(count('cache:saved_nano')) },
  };
}

/** Settled calls wait in the usage list until this many, then settlement folds them into their day hashes. */
export const USAGE_FOLD_ENTRIES = 64;

const tokenKinds = ['prompt', 'cached', 'completion', 'reasoning'] as const;

/**
 * A settled call's breakdown as usage-fold-1.lua reads it: the fields it adds its cost to in the global day hash
 * and (made with an API key) the key's, and its tokens by kind (those above 0).
 */
function usageEntry(charge: JobCharge, costNano: number, dayKey: string, keyDayKey: string | undefined): string {
  const tokens: Record<string, number> = {};
  for (const kind of tokenKinds) {
    const count = Math.max(0, Math.round(charge.tokens?.[kind] ?? 0));
    if (count > 0) tokens[`tokens:${kind}`] = count;
  }
  return JSON.stringify({
    d: dayKey,
    ...(keyDayKey ? { k: keyDayKey, g: [`key:${charge.keyId}`] } : {}),
    c: costNano,
    f: [spendFields.agent(charge.agentId), spendFields.model(charge.model), spendFields.provider(charge.provider)],
    t: tokens,
  });
}

/**
 * Daily and monthly budgets with reservations: admission reserves an estimate atomically against
 * spend + in-flight reservations; completion settles to the real cost (once per job id); failure releases.
 */
export function createBudget(options: BudgetOptions) {
  const { redis, prefix } = options;
  const now = options.clock ?? Date.now;
  /** The four keys of a ledger (in flight, its expiry, day and month spend): the global one, or a key's. */
  const ledgerKeys = (keyId: string | undefined, day: string, month: string) =>
    keyId === undefined
      ? [limitKeys.inFlight(prefix), limitKeys.inFlightExpiry(prefix), limitKeys.daySpend(prefix, day), limitKeys.monthSpend(prefix, month)]
      : [
          limitKeys.keyInFlight(prefix, keyId),
          limitKeys.keyInFlightExpiry(prefix, keyId),
          limitKeys.keyDaySpend(prefix, keyId, day),
          limitKeys.keyMonthSpend(prefix, keyId, month),
        ];

  /** budget-reserve.lua's KEYS before the billing records: the global ledger, the key's (or unused names), the learned costs. */
  const keysFor = (key: KeyLedger | undefined) => {
    const { day, month } = utcPeriods(now());
    return { day, month, keys: [...ledgerKeys(undefined, day, month), ...ledgerKeys(key?.id ?? '', day, month), limitKeys.observedCost(prefix)] };
  };
  const jobArgs = (job: ReserveJob) => [job.jobId, usdToNano(job.estimateUsd), job.model ?? ''];

  const nanoOrNone = (usd: number | undefined) => (usd === undefined ? -1 : usdToNano(usd));
  const reservationMs = Math.max(1, Math.round(options.reservationTtlMs));
  /** A billing record holds the reservation's amount (`reserved:<nano>`): it must outlive the reservation. */
  const recordTtlSeconds = Math.max(JOB_BILLING_TTL_SECONDS, Math.ceil(reservationMs / 1000) + 60);

  /** The first arguments of budget-reserve.lua: the limits, the reservation lifetime, the key and its limits, the record TTL. */
  const limitArgs = (key: KeyLedger | undefined) => [
    usdToNano(options.dailyLimitUsd),
    usdToNano(options.monthlyLimitUsd),
    reservationMs,
    key?.id ?? '',
    nanoOrNone(key?.dailyLimitUsd),
    nanoOrNone(key?.monthlyLimitUsd),
    recordTtlSeconds,
  ];

  /** Which budget refused, from a reservation script's code and its figures (day spent, month spent, in flight, …, amount). */
  const refusal = (
    code: number,
    [daySpent = 0, monthSpent = 0, inFlight = 0, , amount]: readonly number[],
    periods: { day: string; month: string },
    estimate: number,
    key: KeyLedger | undefined,
  ): BudgetRefusal => {
    const estimateUsd = amount !== undefined ? Math.max(estimate, nanoToUsd(amount)) : estimate;
    const ofKey = code === LimitScriptCode.KeyDailyExceeded || code === LimitScriptCode.KeyMonthlyExceeded;
    const daily = code === LimitScriptCode.DailyExceeded || code === LimitScriptCode.KeyDailyExceeded;
    if (!daily && code !== LimitScriptCode.MonthlyExceeded && code !== LimitScriptCode.KeyMonthlyExceeded)
      throw new Error(`budget reservation failed with code ${code}`);
    const limitUsd = ofKey ? ((daily ? key?.dailyLimitUsd : key?.monthlyLimitUsd) ?? 0) : daily ? options.dailyLimitUsd : options.monthlyLimitUsd;
    return {
      budget: daily ? 'daily' : 'monthly',
      ...(ofKey && key ? { key: key.id } : {}),
      period: daily ? periods.day : periods.month,
      spentUsd: nanoToUsd(daily ? daySpent : monthSpent),
      inFlightUsd: nanoToUsd(inFlight),
      limitUsd,
      estimateUsd,
    };
  };

  const budget = {
    /** The reservation script call (keys, arguments, reply reader), for a caller that runs it with others (runAdmit). */
    reserveCall(jobId: string, estimateUsd: number, key?: KeyLedger, model?: string): ReserveCall {
      const { day, month, keys } = keysFor(key);
      return {
        keys: [...keys, limitKeys.jobBilling(prefix, jobId)],
        args: [...limitArgs(key), ...jobArgs({ jobId, estimateUsd, model })],
        outcome([code = 0, ...figures]) {
          if (code === LimitScriptCode.Done || code === LimitScriptCode.AlreadyDone) {
            return { reserved: true, alreadyReserved: code === LimitScriptCode.AlreadyDone, reservedUsd: Math.max(estimateUsd, nanoToUsd(figures[4] ?? 0)) };
          }
          return { reserved: false, ...refusal(code, figures, { day, month }, estimateUsd, key) };
        },
      };
    },

    /**
     * Reserves the estimates of several jobs (a batch) in one script: all of them, or none (then says which job
     * and which budget refused). Idempotent on each job id, like `reserve`.
     */
    async reserveAll(jobs: readonly ReserveJob[], key?: KeyLedger): Promise<{ reserved: true } | ({ reserved: false; index: number } & BudgetRefusal)> {
      if (jobs.length === 0) return { reserved: true };
      const { day, month, keys } = keysFor(key);
      const [code = 0, daySpent = 0, monthSpent = 0, inFlight = 0, position = 0, amount = 0] = await runIntegerScript(
        redis,
        scripts.budgetReserve,
        [...keys, ...jobs.map((job) => limitKeys.jobBilling(prefix, job.jobId))],
        [...limitArgs(key), ...jobs.flatMap(jobArgs)],
      );
      if (code === LimitScriptCode.Done || code === LimitScriptCode.AlreadyDone) return { reserved: true };
      const index = position - 1;
      return {
        reserved: false,
        index,
        ...refusal(code, [daySpent, monthSpent, inFlight, position, amount], { day, month }, jobs[index]?.estimateUsd ?? 0, key),
      };
    },

    /**
     * Reserves `estimateUsd` for the job (or the learned cost of `model`, when more) against the budgets (and the
     * key's), or says which budget refuses. Idempotent on the job id.
     */
    async reserve(jobId: string, estimateUsd: number, key?: KeyLedger, model?: string): Promise<ReserveOutcome> {
      const { keys, args, outcome } = budget.reserveCall(jobId, estimateUsd, key, model);
      return outcome(await runIntegerScript(redis, scripts.budgetReserve, keys, args));
    },

    /**
     * Bills a finished job's real cost to the current UTC day and month, once per job id, then publishes `reply`
     * (if given) in the same script: a waiting caller hears of the job only once it is billed; `logged`, the request's
     * log entry, is appended in the same script too, and `kept` (the job's outcome to keep) written before the
     * reply. Returns whether it billed now.
     */
    async settle(
      jobId: string,
      charge: JobCharge,
      reply?: SettleReply,
      callId = '',
      logged?: RequestLogAppend,
      kept?: SettleKeep,
    ): Promise<{ billed: boolean }> {
      const { day, month } = utcPeriods(now());
      const globalKeys = ledgerKeys(undefined, day, month);
      const keyKeys = ledgerKeys(charge.keyId ?? '', day, month);
      const keys = [
        ...globalKeys,
        limitKeys.jobBilling(prefix, jobId),
        ...keyKeys,
        limitKeys.observedCost(prefix),
        limitKeys.usagePending(prefix),
        limitKeys.jobCalls(prefix, jobId),
        logged?.key ?? limitKeys.requestLog(prefix),
        // Unused without an outcome to keep: a key of the script's own slot.
        kept?.key ?? limitKeys.jobBilling(prefix, jobId),
      ];
      const costNano = usdToNano(charge.costUsd);
      const [code] = await runIntegerScript(redis, scripts.budgetSettle, keys, [
        jobId,
        costNano,
        usageEntry(charge, costNano, globalKeys[2]!, charge.keyId ? keyKeys[2] : undefined),
        DAY_SPEND_TTL_SECONDS,
        MONTH_SPEND_TTL_SECONDS,
        recordTtlSeconds,
        reply?.channel ?? '',
        reply?.message ?? '',
        charge.keyId ?? '',
        charge.learnModel ?? '',
        OBSERVED_COST_TTL_SECONDS,
        USAGE_FOLD_ENTRIES,
        callId,
        logged?.entry ?? '',
        logged?.maxEntries ?? 0,
        logged?.minId ?? '0',
        kept?.value ?? '',
        kept?.seconds ?? 0,
      ]);
      return { billed: code === LimitScriptCode.Done };
    },

    /**
     * Notes that the job's run `callId` is about to call a provider (call-start-4.lua): from now on its reservation
     * is booked as spent if it lapses, and the call is billed even if this run never settles it. Returns the job's
     * earlier calls that no run billed (their runs died or lost the job): the caller bills them.
     */
    async startCall(jobId: string, keyId: string | undefined, callId: string): Promise<string[]> {
      const earlier = await runLuaScript(
        redis,
        scripts.callStart,
        [
          limitKeys.jobBilling(prefix, jobId),
          limitKeys.jobCalls(prefix, jobId),
          limitKeys.inFlightExpiry(prefix),
          limitKeys.keyInFlightExpiry(prefix, keyId ?? ''),
        ],
        [jobId, callId, recordTtlSeconds, keyId ? '1' : ''],
      );
      return Array.isArray(earlier) ? earlier.map(String) : [];
    },

    /**
     * Gives back a failed or cancelled job's reservation, also in its key's ledger (a no-op when it was billed
     * already); `callId`: the run's call, which cost nothing (no takeover bills it).
     */
    async release(jobId: string, keyId?: string, callId = ''): Promise<{ releasedUsd: number }> {
      const [code, amount = 0] = await runIntegerScript(
        redis,
        scripts.budgetRelease,
        [
          limitKeys.inFlight(prefix),
          limitKeys.inFlightExpiry(prefix),
          limitKeys.jobBilling(prefix, jobId),
          limitKeys.keyInFlight(prefix, keyId ?? ''),
          limitKeys.keyInFlightExpiry(prefix, keyId ?? ''),
          limitKeys.jobCalls(prefix, jobId),
        ],
        [jobId, recordTtlSeconds, keyId ?? '', callId],
      );
      return { releasedUsd: code === LimitScriptCode.Done ? nanoToUsd(amount) : 0 };
    },

    /**
     * For a job id an Idempotency-Key named, on the two-step admission (a cluster): 'settled' when it was billed
     * (the key is spent), else undefined, clearing a 'released' record (a job dropped before it ran) so that the
     * key's next job reserves anew, in one script (billing-clear-1.lua). A `reserved:` record stays: the ledgers
     * still count its reservation (budget-reserve.lua then reuses it) or let it lapse (then it reserves anew).
     * (The one-script admission does the same inside admit-once-gate.lua.)
     */
    async billedOrClear(jobId: string): Promise<'settled' | undefined> {
      const record = await runLuaScript(redis, scripts.billingClear, [limitKeys.jobBilling(prefix, jobId)], []);
      return record === 'settled' ? 'settled' : undefined;
    },

    /**
     * The global budgets' settled spend of the current UTC day and month against their limits: two HGETs of the
     * totals the budget checks (no fold, no breakdown), cheap enough for every metrics scrape.
     */
    async globalSpend(): Promise<BudgetReading[]> {
      const { day, month } = utcPeriods(now());
      const [dayTotal, monthTotal] = await Promise.all([
        redis.hget(limitKeys.daySpend(prefix, day), 'total'),
        redis.hget(limitKeys.monthSpend(prefix, month), 'total'),
      ]);
      return [
        { budget: 'daily', spentUsd: nanoToUsd(Number(dayTotal ?? 0)), limitUsd: options.dailyLimitUsd },
        { budget: 'monthly', spentUsd: nanoToUsd(Number(monthTotal ?? 0)), limitUsd: options.monthlyLimitUsd },
      ];
    },

    /**
     * Books an answer the response cache gave (no call, no cost) in today's usage, the gateway's and its key's:
     * `cached_requests`, and the tokens and cost the call would have taken. Only hits pay these writes.
     */
    async recordCacheHit(keyId: string | undefined, saved: { tokens: number; costUsd: number }): Promise<void> {
      const { day, month } = utcPeriods(now());
      const ledgers = keyId === undefined ? [undefined] : [undefined, keyId];
      await Promise.all(
        ledgers.map((id) => {
          const dayKey = ledgerKeys(id, day, month)[2]!;
          return redis
            .multi()
            .hincrby(dayKey, 'cache:requests', 1)
            .hincrby(dayKey, 'cache:tokens', saved.tokens)
            .hincrby(dayKey, 'cache:saved_nano', usdToNano(saved.costUsd))
            .expire(dayKey, DAY_SPEND_TTL_SECONDS)
            .exec();
        }),
      );
    },

    /**
     * Spend today and this month (UTC), overall and by agent, model and provider, against the budgets. The month's
     * totals are its own counters (what its budget checks); its breakdown sums its days (settlement books the
     * breakdown per day only, which keeps a settlement to one hash per dimension).
     */
    async usage(key?: KeyLedger): Promise<UsageReport> {
      const { day, month } = utcPeriods(now());
      // Calls settled since the last fold are booked first, so the report is exact.
      await runIntegerScript(redis, scripts.usageFold, [limitKeys.usagePending(prefix)], [DAY_SPEND_TTL_SECONDS]);
      const days = daysOfMonthUntil(month, day);
      const [inFlightKey, , , monthKey] = ledgerKeys(key?.id, day, month);
      const dayKey = (name: string) => ledgerKeys(key?.id, name, month)[2]!;
      const [monthFields, inFlight, ...dayHashes] = await Promise.all([
        redis.hgetall(monthKey!),
        redis.hget(inFlightKey!, 'total'),
        ...days.map((name) => redis.hgetall(dayKey(name))),
      ]);
      const dayFields = dayHashes[dayHashes.length - 1] ?? {};
      const inFlightNano = Math.max(0, Number(inFlight ?? 0));
      const limits = key ? { day: key.dailyLimitUsd, month: key.monthlyLimitUsd } : { day: options.dailyLimitUsd, month: options.monthlyLimitUsd };
      return {
        day: periodUsage(day, dayFields, dayFields, inFlightNano, limits.day, !key),
        month: periodUsage(month, monthFields, sumFields(dayHashes), inFlightNano, limits.month, !key),
      };
    },
  };
  return budget;
}

export type Budget = ReturnType<typeof createBudget>;

/** The budget ledger of the configured limits (LLM_DAILY_BUDGET_USD, …), as every app builds it. */
export function createBudgetFromConfig(redis: RedisClient, config: Pick<Config, 'queue' | 'limits'>): Budget {
  return createBudget({
    redis,
    prefix: limitsPrefix(config),
    dailyLimitUsd: config.limits.dailyBudgetUsd,
    monthlyLimitUsd: config.limits.monthlyBudgetUsd,
    reservationTtlMs: config.limits.reservationTtlSeconds * 1000,
  });
}
