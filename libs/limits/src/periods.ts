/** The budget periods a moment falls in, in UTC. */
export interface Periods {
  /** `2026-11-05` */
  day: string;
  /** `2026-11` */
  month: string;
}

export function utcPeriods(nowMs: number): Periods {
  const iso = new Date(nowMs).toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
}

/** Spend hashes outlive their period long enough for reports, then go. */
export const DAY_SPEND_TTL_SECONDS = 40 * 24 * 3600;
export const MONTH_SPEND_TTL_SECONDS = 400 * 24 * 3600;
/** A job's billing record outlives any retry or re-run of the job. */
export const JOB_BILLING_TTL_SECONDS = 7 * 24 * 3600;
/** What was learned of each model's cost is kept this long after its last settled call. */
export const OBSERVED_COST_TTL_SECONDS = 7 * 24 * 3600;
