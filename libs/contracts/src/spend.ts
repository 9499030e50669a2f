import { z } from 'zod';

/** Spend of one UTC period (day `YYYY-MM-DD` or month `YYYY-MM`) against its budget, in USD. */
export const periodSpendSchema = z.object({
  period: z.string(),
  spent_usd: z.number().nonnegative(),
  /** Reserved by requests admitted but not finished yet. */
  in_flight_usd: z.number().nonnegative(),
  /** null: no budget (an API key without one). */
  budget_usd: z.number().nonnegative().nullable(),
  remaining_usd: z.number().nonnegative().nullable(),
  jobs: z.number().int().nonnegative(),
  /** Requests without `agent_id` are under `"(none)"`. */
  by_agent: z.record(z.string(), z.number()),
  by_model: z.record(z.string(), z.number()),
  by_provider: z.record(z.string(), z.number()),
  /** Spend by API key id (the global report; requests without a key are not listed). */
  by_key: z.record(z.string(), z.number()).optional(),
  /** Tokens of the billed calls by kind: cached is part of prompt, reasoning part of completion. */
  tokens: z.object({
    prompt: z.number().int().nonnegative(),
    cached: z.number().int().nonnegative(),
    completion: z.number().int().nonnegative(),
    reasoning: z.number().int().nonnegative(),
  }),
  /** Requests the response cache answered (no call, no cost). */
  cached_requests: z.number().int().nonnegative(),
  /** What those answers would have taken from the upstream: their tokens and their cost when first made. */
  cache_saved: z.object({ tokens: z.number().int().nonnegative(), cost_usd: z.number().nonnegative() }),
});
export type PeriodSpend = z.infer<typeof periodSpendSchema>;

/** Body of `GET /v1/usage`. */
export const usageReportSchema = z.object({ day: periodSpendSchema, month: periodSpendSchema });
export type UsageReport = z.infer<typeof usageReportSchema>;
