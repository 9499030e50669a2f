import type { LimitsPrefix } from '@gateway/queue';

/**
 * Every Redis key of the limits lib, under the limits prefix (QUEUE_PREFIX as written). The keys one Lua script
 * touches share a hash tag (`{spend}`, `{pace:<provider>}`), so the scripts run on Redis Cluster. When the prefix
 * carries its own tag (`{gw}`), that one wins and every key lands in its slot, which is just as correct.
 */
export const limitKeys = {
  /**
   * Token bucket of one agent (or of every request without an agent id). In the `{spend}` slot: admission checks
   * it and reserves the budget in one script (admit-12.lua).
   */
  rateBucket: (prefix: LimitsPrefix, agentId: string | undefined): string =>
    agentId === undefined ? `${prefix}:rate:{spend}:anonymous` : `${prefix}:rate:{spend}:agent:${agentId}`,
  /**
   * Token bucket of a caller without a key (`static`, `open`, `admin`) above its agents' buckets; undefined names a key
   * nothing writes (rate-2.lua leaves it untouched).
   */
  callerRateBucket: (prefix: LimitsPrefix, caller: string | undefined): string => `${prefix}:rate:{spend}:caller:${caller ?? ''}`,
  /** Token bucket of one API key (every request made with it, whatever its agent_id). */
  keyRateBucket: (prefix: LimitsPrefix, keyId: string): string => `${prefix}:rate:{spend}:key:${keyId}`,
  /**
   * An API key's own ledger (in-flight reservations, their expiry, spend per UTC day and month), beside the global
   * one and in the same slot, so one script checks and books both. `''` (no key) names keys nothing writes.
   */
  keyInFlight: (prefix: LimitsPrefix, keyId: string): string => `${prefix}:budget:{spend}:key:${keyId}:inflight`,
  keyInFlightExpiry: (prefix: LimitsPrefix, keyId: string): string => `${prefix}:budget:{spend}:key:${keyId}:inflight-expiry`,
  keyDaySpend: (prefix: LimitsPrefix, keyId: string, day: string): string => `${prefix}:budget:{spend}:key:${keyId}:day:${day}`,
  keyMonthSpend: (prefix: LimitsPrefix, keyId: string, month: string): string => `${prefix}:budget:{spend}:key:${keyId}:month:${month}`,
  /**
   * Budget reservations of admitted, unfinished jobs: their sum, `total` (each job's amount is in its billing record
   * and its expiry member; fields per job id only from before, dropped by the same scripts).
   */
  inFlight: (prefix: LimitsPrefix): string => `${prefix}:budget:{spend}:inflight`,
  /**
   * A job's provider calls (one per run that reached a provider, by its attempt number): `started`, then `billed`
   * or `none` (call-start-4.lua, budget-settle-14.lua, budget-release-6.lua). Lives as long as the billing record.
   */
  jobCalls: (prefix: LimitsPrefix, jobId: string): string => `${prefix}:budget:{spend}:job:${jobId}:calls`,
  /** When each reservation lapses (a job that was never settled nor released): member `<nano-USD>:<jobId>` → ms. */
  inFlightExpiry: (prefix: LimitsPrefix): string => `${prefix}:budget:{spend}:inflight-expiry`,
  /**
   * Spend of one UTC day (`2026-11-05`): `total`, `jobs` (booked at settlement), `agent:<id>`, `model:<id>`,
   * `provider:<id>`, `key:<id>`, `tokens:<kind>` (folded in from the usage list, see below).
   */
  daySpend: (prefix: LimitsPrefix, day: string): string => `${prefix}:budget:{spend}:day:${day}`,
  /** Spend of one UTC month (`2026-11`): `total` and `jobs` (its breakdown is the sum of its days). */
  monthSpend: (prefix: LimitsPrefix, month: string): string => `${prefix}:budget:{spend}:month:${month}`,
  /**
   * Settled calls whose breakdown is not yet in their day hashes (usage-fold-1.lua): folded when it reaches
   * USAGE_FOLD_ENTRIES, and before every usage report.
   */
  usagePending: (prefix: LimitsPrefix): string => `${prefix}:budget:{spend}:usage-pending`,
  /** What a recent settled call of each model cost (nano-USD, a decaying maximum): reservations take at least that. */
  observedCost: (prefix: LimitsPrefix): string => `${prefix}:budget:{spend}:observed-cost`,
  /** A job's billing record, `reserved:<nano-USD>`, then `settled` or `released`: makes settlement idempotent on the job id. */
  jobBilling: (prefix: LimitsPrefix, jobId: string): string => `${prefix}:budget:{spend}:job:${jobId}`,
  /** Spend of a batch with `max_cost_usd`: `spent`, `inflight` (nano-USD) and `job:<jobId>` (reserved, or `done`). */
  batchSpend: (prefix: LimitsPrefix, batchId: string): string => `${prefix}:budget:{spend}:batch:${batchId}`,
  /**
   * The request log: a Redis stream of finished requests (field `e`: the entry's JSON), bounded by count and age. In
   * the `{spend}` slot: settlement appends a request's entry in its own script.
   */
  requestLog: (prefix: LimitsPrefix): string => `${prefix}:requests:{spend}:log`,
  /** OpenRouter's prices as last fetched: model id → JSON ModelPrice, and `_fetched_at` (Unix ms). */
  openRouterPrices: (prefix: LimitsPrefix): string => `${prefix}:pricing:openrouter`,
  /** Held (SET NX PX) by the one instance whose turn it is to fetch OpenRouter's prices. */
  priceRefreshLock: (prefix: LimitsPrefix): string => `${prefix}:pricing:refresh-lock`,
  /** A provider's shared request bucket (provider-side pacing). */
  providerBucket: (prefix: LimitsPrefix, provider: string): string => `${prefix}:pace:{pace:${provider}}:bucket`,
  /** Set while a provider is paused after answering 429. */
  providerPause: (prefix: LimitsPrefix, provider: string): string => `${prefix}:pace:{pace:${provider}}:paused`,
  /**
   * A deployment's requests, tokens and ended calls by slice of the window, their sums, and its pause
   * (deployment-take-1). Named `:counts` since the sums were added: a hash of the layout before them (`:window`) is
   * never read, so its slices cannot leave sums they were never added to.
   */
  deploymentWindow: (prefix: LimitsPrefix, deployment: string): string => `${prefix}:deploy:{deploy:${deployment}}:counts`,
  /**
   * A response-cache entry (string: the answer's JSON) of one scope (`key:<keyId>`, or a caller kind without keys:
   * `static`, `open`, `admin`) by its request's hash. Every key of a scope shares the scope's hash tag, so the script
   * that writes an entry books its bytes in the same step (response-cache-store-4.lua).
   */
  responseCacheEntry: (prefix: LimitsPrefix, scope: string, hash: string): string => `${prefix}:cache:{${scope}}:${hash}`,
  /** The job answering an entry's request now (string: its id, PX the chat timeout): identical requests wait for it. */
  responseCacheInflight: (prefix: LimitsPrefix, scope: string, hash: string): string => `${prefix}:cache:{${scope}}:${hash}:inflight`,
  /** A scope's entries by when they expire (zset hash -> expiry ms): the oldest are evicted first. */
  responseCacheIndex: (prefix: LimitsPrefix, scope: string): string => `${prefix}:cache:{${scope}}:index`,
  /** A scope's entries' sizes (hash hash -> bytes) and their sum (`total`): what its quota counts. */
  responseCacheSizes: (prefix: LimitsPrefix, scope: string): string => `${prefix}:cache:{${scope}}:sizes`,
  /** Pub/sub channel announcing each pause to every worker (`{"provider","ms"}`). */
  providerPauseChannel: (prefix: LimitsPrefix): string => `${prefix}:pace:pauses`,
};

/** Hash field names of the spend hashes. */
export const spendFields = {
  agent: (agentId: string | undefined): string => `agent:${agentId ?? ''}`,
  model: (model: string): string => `model:${model}`,
  provider: (provider: string): string => `provider:${provider}`,
};
