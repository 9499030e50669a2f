export { limitKeys, spendFields } from './keys';
export { LimitScriptCode, LimitScriptOk, scripts, runScript } from './scripts';
export type { LuaScript } from './scripts';
export { NANO_PER_USD, usdToNano, nanoToUsd, formatUsd } from './money';
export { utcPeriods } from './periods';
export type { Periods } from './periods';
export { createRateLimiter, retryAfterSeconds } from './rate-limiter';
export type { RateLimiter, RateLimiterOptions, RateDecision, RateCall, KeyBucket } from './rate-limiter';
export {
  modelPriceSchema,
  pricingTableSchema,
  builtInPricing,
  freeProviders,
  loadPricingTable,
  priceOf,
  tokenCostUsd,
  callCostUsd,
  estimatePromptTokens,
  IMAGE_TOKENS,
  LOW_DETAIL_IMAGE_TOKENS,
  estimateCostUsd,
} from './pricing';
export type { ModelPrice, PricingTable } from './pricing';
export { createBudget, createBudgetFromConfig, tokenCountsOf } from './budget';
export type { Budget, BudgetOptions, BudgetRefusal, KeyLedger, TokenCounts, ReserveJob, ReserveOutcome, ReserveCall, JobCharge, PeriodUsage, SettleReply } from './budget';
export { admitOnce, admitAndAdd, admitAndAddKeyed } from './admit-once';
export type { AdmitOutcome, AdmitKeyedOutcome, Tenant } from './admit-once';
export { createProviderPacer } from './provider-pacer';
export type { ProviderPacer, ProviderPacerOptions, PaceDecision } from './provider-pacer';
export { priceAnswer, settleJobCost, pacePlan } from './job-billing';
export type { JobBilling } from './job-billing';
