import type { RedisClient } from '@gateway/queue';
import { limitKeys } from './keys';
import { LimitScriptCode, runScript, scripts } from './scripts';

export interface RateLimiterOptions {
  redis: RedisClient;
  /** Key prefix (QUEUE_PREFIX). */
  prefix: string;
  /** Tokens added per second (GATEWAY_RATE_RPS). */
  ratePerSecond: number;
  /** Bucket capacity (GATEWAY_RATE_BURST). */
  burst: number;
  /** Clock in ms; absent: the Redis server's TIME, so instances with skewed clocks agree. */
  clock?: () => number;
}

/** The limiter's answer for one request. */
export type RateDecision = { allowed: true; remaining: number } | { allowed: false; remaining: number; retryAfterMs: number; retryAfterSeconds: number };

/** Seconds for a Retry-After header: whole seconds, rounded up, at least 1 (a client must not retry at once). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The token-bucket script call of one request: its keys and arguments, and how to read its reply. */
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

/**
 * A token bucket per API key (every request made with it, whatever its agent_id) or, for requests without a key,
 * per agent id (requests without one share a bucket), kept in Redis for every API instance.
 */
export function createRateLimiter(options: RateLimiterOptions) {
  // One request's take: token-bucket-1.lua's four arguments (admit-10.lua passes exactly these on).
  const call = (agentId: string | undefined, key?: KeyBucket, tokens = 1): RateCall => ({
    keys: [key ? limitKeys.keyRateBucket(options.prefix, key.id) : limitKeys.rateBucket(options.prefix, agentId)],
    args: [key?.ratePerSecond ?? options.ratePerSecond, key?.burst ?? options.burst, tokens, options.clock ? options.clock() : ''],
    decide([code = 0, remaining = 0, waitMs = 0]) {
      if (code > 0) return { allowed: true, remaining };
      if (code === LimitScriptCode.RateLimited) return { allowed: false, remaining, retryAfterMs: waitMs, retryAfterSeconds: retryAfterSeconds(waitMs) };
      throw new Error(`token bucket refused with code ${code}`);
    },
  });
  return {
    /** The script call of `take`, for a caller that runs it together with others (see admitOnce). */
    call,
    /**
     * Takes `tokens` (1 per request; a batch takes one per request it holds) from the key's bucket, else the agent's.
     * A take larger than the burst is allowed only from a full bucket, and leaves it in debt: the next requests wait
     * until the whole cost has been refilled, so the long-run rate is exact whatever the batch sizes.
     */
    async take(agentId: string | undefined, key?: KeyBucket, tokens = 1): Promise<RateDecision> {
      const { keys, args, decide } = call(agentId, key, tokens);
      // Debt allowed (ARGV[5]): beyond the burst it needs a full bucket and leaves it negative.
      return decide(await runScript(options.redis, scripts.tokenBucket, keys, [...args, '1']));
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
