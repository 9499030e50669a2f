/** The budget periods a moment falls in, in UTC. */
export interface Periods {
  /** `2026-11-05` */
  day: string;
  /** `2026-11` */
  month: string;
}

const dayMs = 24 * 3600 * 1000;
/** The UTC day last asked for (every admission and settlement asks; formatting a date each time showed in profiles). */
let cached: { start: number; periods: Periods } | undefined;

export function utcPeriods(nowMs: number): Periods {
  if (cached && nowMs >= cached.start && nowMs < cached.start + dayMs) return cached.periods;
  const iso = new Date(nowMs).toISOString();
  const periods = Object.freeze({ day: iso.slice(0, 10), month: iso.slice(0, 7) });
  if (Number.isFinite(nowMs)) cached = { start: nowMs - (((nowMs % dayMs) + dayMs) % dayMs), periods };
  return periods;
}

/** Spend hashes outlive their period long enough for reports, then go. */
export const DAY_SPEND_TTL_SECONDS = 40 * 24 * 3600;
export const MONTH_SPEND_TTL_SECONDS = 400 * 24 * 3600;
/** A job's billing record outlives any retry or re-run of the job. */
export const JOB_BILLING_TTL_SECONDS = 7 * 24 * 3600;
/** What was learned of each model's cost is kept this long after its last settled call. */
export const OBSERVED_COST_TTL_SECONDS = 7 * 24 * 3600;
