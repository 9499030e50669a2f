export { withFailover } from './failover';
export type { PlannedAttempt, FailoverOutcome, FailoverHooks } from './failover';
export { planAttempts } from './plan';
export type { RouteLike } from './plan';
