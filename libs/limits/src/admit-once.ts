import type { RedisClient } from '@gateway/queue';
import type { Budget, ReserveOutcome } from './budget';
import type { RateDecision, RateLimiter } from './rate-limiter';
import { runScript, scripts } from './scripts';

/** The admission of one job: refused by the rate limit (nothing reserved), or the reservation's outcome. */
export type AdmitOutcome = { rate: Extract<RateDecision, { allowed: false }> } | { rate: Extract<RateDecision, { allowed: true }>; budget: ReserveOutcome };

/**
 * The agent's rate limit and the job's budget reservation in one script (one round trip, atomic): the same
 * decisions as `rateLimiter.take` then `budget.reserve`, without a reservation when the bucket refuses.
 */
export async function admitOnce(redis: RedisClient, parts: { rateLimiter: RateLimiter; budget: Budget }, agentId: string | undefined, jobId: string, estimateUsd: number): Promise<AdmitOutcome> {
  const rate = parts.rateLimiter.call(agentId);
  const reserve = parts.budget.reserveCall(jobId, estimateUsd);
  const reply = await runScript(redis, scripts.admit, [...rate.keys, ...reserve.keys], [...rate.args, ...reserve.args]);
  const decision = rate.decide(reply.slice(0, 3));
  if (!decision.allowed) return { rate: decision };
  return { rate: decision, budget: reserve.outcome(reply.slice(3)) };
}
