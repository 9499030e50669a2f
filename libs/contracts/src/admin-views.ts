import { z } from 'zod';
import { apiKeyViewSchema } from './keys';
import { providersViewSchema } from './providers';
import { requestLogTokensSchema } from './request-log';

const usd = z.number().nonnegative();
const count = z.number().int().nonnegative();

/** A key's spend of one UTC period (day `YYYY-MM-DD` or month `YYYY-MM`) against its own budget. */
export const keyPeriodSpendSchema = z.object({
  period: z.string(),
  spent_usd: usd,
  /** Reserved by the key's requests admitted but not finished yet (the same amount in both periods). */
  in_flight_usd: usd,
  /** null: the key has no budget of this period. */
  budget_usd: usd.nullable(),
  remaining_usd: usd.nullable(),
});
export type KeyPeriodSpend = z.infer<typeof keyPeriodSpendSchema>;

/** One key in `GET /admin/keys`: its settings and its spend today and this month. */
export const listedKeySchema = apiKeyViewSchema.extend({ spend: z.object({ day: keyPeriodSpendSchema, month: keyPeriodSpendSchema }) });
export type ListedKey = z.infer<typeof listedKeySchema>;

/** Spend by name (key id, model, provider, agent), USD. */
const breakdownSchema = z.record(z.string(), z.number());

/** One UTC day of `GET /admin/spend`. */
export const spendDaySchema = z.object({
  day: z.string(),
  spent_usd: usd,
  jobs: count,
  /** Only in the gateway's history (no `key_id`); requests without a key are not listed. */
  by_key: breakdownSchema.optional(),
  by_model: breakdownSchema,
  by_provider: breakdownSchema,
  /** Requests without `agent_id` are under `"(none)"`. */
  by_agent: breakdownSchema,
  tokens: requestLogTokensSchema,
});
export type SpendDay = z.infer<typeof spendDaySchema>;

/** Body of `GET /admin/spend`: spend per UTC day, oldest first, and the window's sums in the same shape. */
export const spendHistorySchema = z.object({
  object: z.literal('spend.history'),
  /** The key whose ledger this is; null: the gateway's. */
  key_id: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  /** Names kept per breakdown (the window's largest); the rest are summed under `"(other)"`. */
  top: count,
  total: spendDaySchema.omit({ day: true }),
  data: z.array(spendDaySchema),
});
export type SpendHistory = z.infer<typeof spendHistorySchema>;

/** A lane of the chat queue as `GET /admin/lanes` shows it. */
export const laneViewSchema = z.object({
  lane: z.enum(['interactive', 'job', 'batch']),
  waiting: count,
  /** Age of the oldest waiting job among the next to be served (0 when none waits). */
  oldest_age_seconds: z.number().nonnegative(),
});

const jobCountsSchema = z.record(z.string(), count);

/** Body of `GET /admin/lanes`: each lane's depth and oldest job, the tenants furthest behind, the queues' job counts. */
export const lanesViewSchema = z.object({
  object: z.literal('queue.lanes'),
  lanes: z.array(laneViewSchema),
  /** Per prioritized lane, the tenants with the most rounds still waiting (the rest as `other`). */
  tenants: z.array(z.object({ lane: z.enum(['interactive', 'job', 'batch']), tenant: z.string(), backlog: count })),
  /** BullMQ's counts by state, per queue (`chat`, `callbacks`). */
  queues: z.record(z.string(), jobCountsSchema),
  /** Where Bull Board is served. */
  bull_board: z.string(),
});
export type LanesView = z.infer<typeof lanesViewSchema>;

/** One failure of a provider call that counted against its circuit, as the workers keep the last ones. */
export const providerErrorSchema = z.object({
  time: z.string(),
  provider: z.string(),
  deployment: z.string(),
  model: z.string(),
  /** The error type (`upstream_error`, `timeout`, `rate_limited`, …). */
  type: z.string(),
  /** The upstream's HTTP status; null when none came (a reset, a timeout). */
  status: z.number().int().nullable(),
  /** The error's text (clipped, secrets scrubbed). */
  message: z.string(),
});
export type ProviderErrorRecord = z.infer<typeof providerErrorSchema>;

/** Body of `GET /admin/providers`: `GET /v1/providers`'s, plus each deployment's last failures, newest first. */
export const adminProvidersViewSchema = providersViewSchema.extend({ recent_errors: z.record(z.string(), z.array(providerErrorSchema)) });
export type AdminProvidersView = z.infer<typeof adminProvidersViewSchema>;

/** Body of `POST /admin/login` and `GET /admin/session`. */
export const consoleSessionSchema = z.object({
  object: z.literal('admin.session'),
  /** `session`: the console's cookie; `token`: the admin token in the request; `open`: no token is configured. */
  via: z.enum(['session', 'token', 'open']),
  /** What a session's unsafe requests send as `X-CSRF-Token`; null without a session. */
  csrf_token: z.string().nullable(),
  expires_at: z.string().nullable(),
});
export type ConsoleSession = z.infer<typeof consoleSessionSchema>;

/** Body of `POST /admin/login`. */
export const consoleLoginSchema = z.strictObject({ token: z.string().min(1).max(4096) });
