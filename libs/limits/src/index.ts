export { limitKeys, spendFields } from './keys';
export { LimitScriptCode, scripts, runIntegerScript } from './scripts';
export type { LuaScript } from './scripts';
export { NANO_PER_USD, usdToNano, nanoToUsd, formatUsd } from './money';
export { utcPeriods } from './periods';
export type { Periods } from './periods';
export { createRateLimiter, retryAfterSeconds } from './rate-limiter';
export type { RateLimiter, RateLimiterOptions, RateDecision, RateCall, KeyBucket, CallerName, CallerTake } from './rate-limiter';
export {
  modelPriceSchema,
  pricingTableSchema,
  builtInPricing,
  isFreeProvider,
  loadPricingTable,
  loadPricingFile,
  findPrice,
  priceOf,
  pricesFromTable,
  tokenCostUsd,
  usageCostUsd,
  callCostUsd,
  estimatePromptTokens,
  IMAGE_TOKENS,
  LOW_DETAIL_IMAGE_TOKENS,
  estimateCostUsd,
} from './pricing';
export { estimateEmbeddingTokens, estimateEmbeddingsCostUsd } from './embeddings-estimate';
export type { ModelPrice, PricingTable, PriceSource } from './pricing';
export { cataloguePrice } from './catalogue-prices';
export { createPriceBook } from './price-book';
export type { PriceBook, PriceBookOptions, PriceOrigin } from './price-book';
export { parseOpenRouterModels, fetchOpenRouterPrices } from './openrouter-prices';
export type { OpenRouterModelsSource } from './openrouter-prices';
export { createPriceRefresher, FETCHED_AT_FIELD, PRICE_POLL_MAX_MS } from './price-refresh';
export type { PriceRefresher, PriceRefreshOptions } from './price-refresh';
export { createPricingFromConfig } from './price-setup';
export { createBudget, createBudgetFromConfig, noTokenCounts, tokenCountsOf } from './budget';
export type {
  Budget,
  BudgetOptions,
  BudgetRefusal,
  KeyLedger,
  TokenCounts,
  ReserveJob,
  ReserveOutcome,
  ReserveCall,
  JobCharge,
  PeriodUsage,
  SettleKeep,
  SettleReply,
} from './budget';
export { runAdmit, runAdmitAndAdd, runAdmitAndAddIdempotent } from './admit';
export type { AdmitOutcome, AdmitIdempotentOutcome, LimitSubject } from './admit';
export { createProviderPacer } from './provider-pacer';
export type { ProviderPacer, ProviderPacerOptions, PaceDecision } from './provider-pacer';
export { priceAnswer, settleJobCost, startCappedJob, startJobCall } from './job-billing';
export { pacePlan } from './pace-plan';
export { createRequestLog, createRequestLogFromConfig, isRequestLogId } from './request-log';
export type { RequestLog, RequestLogAppend, RequestLogOptions, RequestLogPageQuery } from './request-log';
export { isStatusFilter, matchesRequestFilter } from './request-log-filter';
export type { RequestLogFilter } from './request-log-filter';
export { createBatchCaps } from './batch-cap';
export type { BatchCaps, BatchCapRef, BatchSpend, BatchStart } from './batch-cap';
export type { BilledJob, JobBilling } from './job-billing';
export { createDeploymentCapacity, spanOf } from './deployment-capacity';
export type {
  DeploymentCapacity,
  DeploymentCapacityOptions,
  DeploymentLimits,
  CapacityLease,
  CapacityDecision,
  CapacityReason,
  CapacityUse,
} from './deployment-capacity';
export { createSpendReader, lastUtcDays, SPEND_HISTORY_MAX_DAYS, OTHER_NAMES } from './spend-history';
export type { SpendReader, SpendReaderOptions } from './spend-history';
export { createResponseCacheStore } from './response-cache-store';
export type { CacheEntryRef, CacheLookupReply, CacheUsage, ResponseCacheStore, ResponseCacheStoreOptions } from './response-cache-store';
