import { addJobBehindGate, type GatedJob, type GatedQueue, type GateScript, type RedisClient } from '@gateway/queue';
import type { Budget, KeyLedger, ReserveOutcome } from './budget';
import type { CallerName, KeyBucket, RateDecision, RateLimiter } from './rate-limiter';
import { admitGate, admitOnceGate, LimitScriptCode, runIntegerScript, scripts } from './scripts';

/** The admission of one job: refused by the rate limit (nothing reserved), or the reservation's outcome. */
export type AdmitOutcome = { rate: Extract<RateDecision, { allowed: false }> } | { rate: Extract<RateDecision, { allowed: true }>; budget: ReserveOutcome };

type AdmitParts = { rateLimiter: RateLimiter; budget: Budget };

/**
 * Whose request it is: its agent, and the API key it was made with (the key's bucket and budgets then apply) or,
 * without a key, the caller whose bucket stands above its agents' (the static token, unauthenticated callers).
 * Not the lanes' tenant (`tenantId` in libs/queue), a string that only takes turns in the queue.
 */
export interface LimitSubject {
  agentId: string | undefined;
  key?: (KeyBucket & KeyLedger) | undefined;
  caller?: CallerName | undefined;
}

function admitCall(parts: AdmitParts, subject: LimitSubject, jobId: string, estimateUsd: number, model: string | undefined) {
  const rate = parts.rateLimiter.call(subject.agentId, subject.key, 1, subject.caller ? { name: subject.caller } : undefined);
  const reserve = parts.budget.reserveCall(jobId, estimateUsd, subject.key, model);
  return {
    keys: [...rate.keys, ...reserve.keys],
    args: [...rate.args, ...reserve.args],
    outcome(reply: readonly number[]): AdmitOutcome {
      const decision = rate.decide(reply.slice(0, 3));
      if (!decision.allowed) return { rate: decision };
      return { rate: decision, budget: reserve.outcome(reply.slice(3)) };
    },
  };
}

/**
 * `model`: the request's model, whose learned cost the reservation takes when it is more than the estimate.
 * The rate limit (the key's bucket, else the agent's and its caller's) and the job's budget reservation in one script (one round trip, atomic): the same
 * decisions as `rateLimiter.take` then `budget.reserve`, without a reservation when the bucket refuses.
 */
export async function runAdmit(
  redis: RedisClient,
  parts: AdmitParts,
  subject: LimitSubject,
  jobId: string,
  estimateUsd: number,
  model?: string,
): Promise<AdmitOutcome> {
  const call = admitCall(parts, subject, jobId, estimateUsd, model);
  return call.outcome(await runIntegerScript(redis, scripts.admit, call.keys, call.args));
}

/** What both admit-and-add scripts take: the Redis, the queue, the limits, whose request, its estimate, the job and its model. */
type AdmitAndAddArgs<Data, Result> = [
  redis: RedisClient,
  queue: GatedQueue<Data, Result>,
  parts: AdmitParts,
  subject: LimitSubject,
  estimateUsd: number,
  job: GatedJob<Data>,
  model?: string,
];

/** The admission with BullMQ's add behind it in `script` (which also reads the job's key, `withJobKey`): its reply, and the add's refusal. */
async function admitBehindGate<Data, Result>(
  [redis, queue, parts, subject, estimateUsd, job, model]: AdmitAndAddArgs<Data, Result>,
  script: GateScript,
  withJobKey: boolean,
): Promise<{ call: ReturnType<typeof admitCall>; reply: number[]; addError: Error | undefined }> {
  const call = admitCall(parts, subject, job.opts.jobId, estimateUsd, model);
  const keys = withJobKey ? [...call.keys, queue.toKey(job.opts.jobId)] : call.keys;
  const { gateReply, added } = await addJobBehindGate(redis, queue, job, { script, keys, args: call.args });
  // BullMQ's add answers a refusal with a negative code (it never refuses a standalone job with a new id).
  const addError = typeof added === 'number' && added < 0 ? new Error(`the queue refused job ${job.opts.jobId} (code ${added})`) : undefined;
  return { call, reply: gateReply.map((value) => Number(value)), addError };
}

/**
 * `runAdmit` and the job's enqueue in one script (one round trip, atomic): BullMQ's add runs only when the job is
 * admitted (see addJobBehindGate). `addError` is set when the job was admitted (its budget reserved) but the add failed.
 * Standalone Redis only: on a cluster the limits and the queue live in different slots.
 */
export async function runAdmitAndAdd<Data, Result>(...args: AdmitAndAddArgs<Data, Result>): Promise<{ outcome: AdmitOutcome; addError?: Error }> {
  const { call, reply, addError } = await admitBehindGate(args, admitGate, false);
  return { outcome: call.outcome(reply), ...(addError ? { addError } : {}) };
}

/** The admission of a job made under an Idempotency-Key: admitted (or refused), or it is a duplicate of a job that exists, or its key is spent. */
export type AdmitIdempotentOutcome = { outcome: AdmitOutcome; addError?: Error } | { duplicate: true } | { spent: true };

/**
 * `admitAndAdd` for a job whose id was derived from an Idempotency-Key, in one script: when the job already exists
 * (a duplicate, concurrent or later) nothing is taken or added; when it was billed and is no longer kept, the key
 * is spent. Standalone Redis only.
 */
export async function runAdmitAndAddIdempotent<Data, Result>(...args: AdmitAndAddArgs<Data, Result>): Promise<AdmitIdempotentOutcome> {
  const { call, reply, addError } = await admitBehindGate(args, admitOnceGate, true);
  if (reply[0] === LimitScriptCode.Duplicate) return { duplicate: true };
  if (reply[0] === LimitScriptCode.Spent) return { spent: true };
  return { outcome: call.outcome(reply), ...(addError ? { addError } : {}) };
}
