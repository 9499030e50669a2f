import type { LimitsPrefix, RedisClient } from '@gateway/queue';
import { limitKeys } from './keys';
import { LimitScriptCode, runIntegerScript, scripts } from './scripts';

export interface RateLimiterOptions {
  redis: RedisClient;
  /** Key prefix (QUEUE_PREFIX). */
  prefix: LimitsPrefix;
  /** Tokens added per second (GATEWAY_RATE_RPS). */
  ratePerSecond: number;
  /** Bucket capacity (GATEWAY_RATE_BURST). */
  burst: number;
  /**
   * The bucket of a caller without a key (GATEWAY_CALLER_RATE_RPS / _BURST) above its agents' buckets, for tenants
   * that name their caller; absent: none.
   */
  caller?: { ratePerSecond: number; burst: number } | undefined;
  /** Clock in ms; absent: the Redis server's TIME, so instances with skewed clocks agree. */
  clock?: () => number;
}

/**
 * The limiter's answer for one request. A refusal names its bucket: the request's own (the key's or the agent's), or
 * its caller's (above every agent of the static token, or of unauthenticated callers).
 */
export type RateDecision =
  { allowed: true; remaining: number } | { allowed: false; remaining: number; retryAfterMs: number; retryAfterSeconds: number; bucket?: 'caller' };

/** Seconds for a Retry-After header: whole seconds, rounded up, at least 1 (a client must not retry at once). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The rate-2.lua call of one request: its keys and arguments, and how to read its reply. */
export interface RateCall {
  keys: string[];
  args: (string | number)[];
  decide(reply: readonly number[]): RateDecision;
}

/** An API key's own bucket: its id, and its rate and burst where it has its own (else the gateway's). */
export interface KeyBucket {
  id: string;
  ratePerSecond?: number | undefined;
  burst?: number | undefined;
}

/** Whose bucket a request without a key also takes from: its caller's (`static`, `open`, `admin`). */
export type CallerName = 'static' | 'open' | 'admin';

/** The caller's bucket a take of a request without a key also draws on, and how many tokens it takes there. */
export interface CallerTake {
  name: CallerName;
  /** Default: the tokens of the request's own bucket (a batch's first agent takes the whole batch's, the others 0). */
  tokens?: number;
}

/**
 * A token bucket per API key (every request made with it, whatever its agent_id) or, for requests without a key,
 * per agent id (requests without one share a bucket) and, above those, one per caller (the static token, or every
 * unauthenticated request), so rotating agent_id cannot go beyond the caller's rate; kept in Redis for every API
 * instance.
 */
export function createRateLimiter(options: RateLimiterOptions) {
  // One request's take: rate-2.lua's eight arguments (admit-12.lua passes exactly these on).
  const call = (agentId: string | undefined, key?: KeyBucket, tokens = 1, caller?: CallerTake, debt = false): RateCall => {
    // A key's bucket is caller-wide already.
    const callerBucket = !key && caller ? options.caller : undefined;
    return {
      keys: [
        key ? limitKeys.keyRateBucket(options.prefix, key.id) : limitKeys.rateBucket(options.prefix, agentId),
        limitKeys.callerRateBucket(options.prefix, callerBucket ? caller?.name : undefined),
      ],
      args: [
        key?.ratePerSecond ?? options.ratePerSecond,
        key?.burst ?? options.burst,
        tokens,
        options.clock ? options.clock() : '',
        debt ? '1' : '',
        callerBucket?.ratePerSecond ?? '',
        callerBucket?.burst ?? '',
        callerBucket ? (caller?.tokens ?? tokens) : 0,
      ],
      decide([code = 0, remaining = 0, waitMs = 0]) {
        if (code > 0) return { allowed: true, remaining };
        const refused = { allowed: false as const, remaining, retryAfterMs: waitMs, retryAfterSeconds: retryAfterSeconds(waitMs) };
        if (code === LimitScriptCode.RateLimited) return refused;
        if (code === LimitScriptCode.CallerRateLimited) return { ...refused, bucket: 'caller' };
        throw new Error(`token bucket refused with code ${code}`);
      },
    };
  };
  return {
    /** The script call of `take`, for a caller that runs it together with others (see runAdmit). */
    call: (agentId: string | undefined, key?: KeyBucket, tokens = 1, caller?: CallerTake): RateCall => call(agentId, key, tokens, caller),
    /**
     * Takes `tokens` (1 per request; a batch takes one per request it holds) from the key's bucket, else the agent's
     * and its caller's. A take larger than a burst is allowed only from a full bucket, and leaves it in debt: the next
     * requests wait until the whole cost has been refilled, so the long-run rate is exact whatever the batch sizes.
     */
    async take(agentId: string | undefined, key?: KeyBucket, tokens = 1, caller?: CallerTake): Promise<RateDecision> {
      // Debt allowed: beyond a burst a take needs a full bucket and leaves it negative.
      const { keys, args, decide } = call(agentId, key, tokens, caller, true);
      return decide(await runIntegerScript(options.redis, scripts.rate, keys, args));
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
