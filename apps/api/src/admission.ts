import { batchRequestRefused, budgetExceeded, rateLimited, type ChatRequest, type EmbeddingsWork, type GatewayError } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import {
  runAdmit,
  runAdmitAndAdd,
  runAdmitAndAddIdempotent,
  type AdmitIdempotentOutcome,
  estimateCostUsd,
  estimateEmbeddingsCostUsd,
  type AdmitOutcome,
  type CallerName,
  formatUsd,
  type Budget,
  type PriceSource,
  type RateDecision,
  type RateLimiter,
  type ReserveOutcome,
  type LimitSubject,
} from '@gateway/limits';
import type { GatedJob, GatedQueue, RedisClient } from '@gateway/queue';
import { createBoundedLabel, type Metrics } from '@gateway/observability';
import { isEmbeddingsWork, servablePlan } from './request-plan';
import { reservationShareRefusal } from './reservation-share';

export interface AdmissionDeps {
  config: Pick<Config, 'llm' | 'limits' | 'providers'> & Partial<Pick<Config, 'file'>>;
  /** The connection the limiter and the budget use (admit runs both in one script on it). */
  redis: RedisClient;
  rateLimiter: RateLimiter;
  budget: Budget;
  /** Prices of the models (the price book). */
  pricing: PriceSource;
  metrics: Pick<Metrics, 'rateLimitRejections' | 'keyRefusals' | 'idempotentRequests'>;
  /** Whether the queue's add can run inside the admission script (canGateAdds); otherwise two steps. */
  gatedAdds: boolean;
}

/** The fields of a request admission looks at: a chat request's, or an embeddings request's. */
export type AdmittedBody = Pick<ChatRequest, 'agent_id' | 'model' | 'messages' | 'max_tokens' | 'tools' | 'response_format'> | EmbeddingsWork;

/** Who a caller-wide bucket belongs to, as a refusal names it. */
const callerLabel: Record<CallerName, string> = { static: 'the static token', open: 'unauthenticated requests', admin: 'the admin token' };

/** Requests of a batch reserved by one script (a few ms of Redis time each). */
const BATCH_RESERVE_CHUNK = 1000;

/** An admitted request: what its job carries for settlement. */
export interface Admitted {
  reservedUsd: number;
}

/**
 * Admission of chat-like requests, before enqueue: the agent's rate limit (429 `rate_limited` with Retry-After),
 * then a reservation of the estimated cost against the daily and monthly budgets (402 `budget_exceeded`).
 * Every route enqueues through the enqueue service (enqueue/), which calls these; batches call `checkRate` and `reserveBatch`.
 */
export function createAdmission(deps: AdmissionDeps) {
  const { config, metrics } = deps;
  const keyLabel = createBoundedLabel(200);

  const rateRefusal = (subject: LimitSubject, decision: Extract<RateDecision, { allowed: false }>, tokens = 1): GatewayError => {
    const byCaller = decision.bucket === 'caller';
    metrics.rateLimitRejections.inc({ limit: byCaller ? 'caller_rate' : 'rate' });
    const { key, agentId } = subject;
    if (key) metrics.keyRefusals.inc({ key: keyLabel(key.id), limit: 'rate' });
    const who = byCaller
      ? `the caller-wide bucket of ${callerLabel[subject.caller ?? 'open']} (all its agent ids together)`
      : key
        ? `key ${key.id}`
        : agentId === undefined
          ? 'requests without agent_id'
          : `agent "${agentId}"`;
    const size = tokens > 1 ? ` by a batch of ${tokens} requests` : '';
    const rate = byCaller
      ? `${config.limits.callerRateRps}/s, burst ${config.limits.callerRateBurst}`
      : `${key?.ratePerSecond ?? config.limits.rateRps}/s, burst ${key?.burst ?? config.limits.rateBurst}`;
    return rateLimited(`rate limit exceeded for ${who}${size} (${rate})`, decision.retryAfterSeconds);
  };

  /** The reservation when the budgets took it; the 402 GatewayError when one refused. */
  const reservedOrThrow = (outcome: ReserveOutcome, estimateUsd: number, subject?: LimitSubject): Admitted => {
    if (outcome.reserved) return { reservedUsd: outcome.reservedUsd };
    const limit = `${outcome.key ? 'key_' : ''}${outcome.budget}_budget`;
    metrics.rateLimitRejections.inc({ limit });
    if (subject?.key) metrics.keyRefusals.inc({ key: keyLabel(subject.key.id), limit });
    const inFlight = outcome.inFlightUsd > 0 ? ` (+${formatUsd(outcome.inFlightUsd)} reserved by requests in flight)` : '';
    throw budgetExceeded(
      `${outcome.key ? `key ${outcome.key}: ` : ''}${outcome.budget} budget exceeded for ${outcome.period}: spent ${formatUsd(outcome.spentUsd)}${inFlight} of ${formatUsd(outcome.limitUsd)}; this request may cost up to ${formatUsd(estimateUsd)}`,
      {
        name: outcome.budget,
        period: outcome.period,
        spent_usd: outcome.spentUsd,
        in_flight_usd: outcome.inFlightUsd,
        limit_usd: outcome.limitUsd,
        estimate_usd: estimateUsd,
      },
    );
  };

  /** 402 for a request whose estimate is more than its share of a budget it draws on (see reservationShareRefusal). */
  const assertReservationShare = (estimate: number, subject?: LimitSubject): void => {
    const refusal = reservationShareRefusal(config.limits, estimate, subject?.key);
    if (!refusal) return;
    metrics.rateLimitRejections.inc({ limit: 'reservation_share' });
    if (refusal.keyId) metrics.keyRefusals.inc({ key: keyLabel(refusal.keyId), limit: 'reservation_share' });
    throw budgetExceeded(refusal.message);
  };

  /** The reservation of an admitted request; the 429 or 402 GatewayError of a refused one. */
  const admittedOrThrow = (subject: LimitSubject, outcome: AdmitOutcome, estimate: number): Admitted => {
    if (!('budget' in outcome)) throw rateRefusal(subject, outcome.rate);
    return reservedOrThrow(outcome.budget, estimate, subject);
  };

  /** The dearest provider (and its model) that may serve the request: what its reservation holds. */
  const estimateUsd = (body: AdmittedBody): number => {
    // Embeddings: the inputs' estimated tokens at the prompt price; they generate nothing.
    if (isEmbeddingsWork(body)) {
      return Math.max(
        0,
        ...servablePlan(config, body).map((attempt) =>
          estimateEmbeddingsCostUsd(deps.pricing, { provider: attempt.provider, model: attempt.model, input: body.embeddings.input }),
        ),
      );
    }
    const maxTokens = body.max_tokens ?? config.limits.defaultMaxTokens;
    return Math.max(
      0,
      ...servablePlan(config, body).map((attempt) =>
        estimateCostUsd(deps.pricing, {
          providers: [attempt.provider],
          model: attempt.model,
          messages: body.messages,
          tools: body.tools,
          response_format: body.response_format,
          maxTokens,
        }),
      ),
    );
  };

  /** The model whose learned cost a paid request's reservation takes when more than its estimate (none for a free route). */
  // Not for embeddings: their estimate is counted from the inputs, and one request's size says nothing of the next's.
  const learnedModel = (body: AdmittedBody, estimate: number): string | undefined =>
    estimate > 0 && !isEmbeddingsWork(body) ? (body.model ?? config.llm.defaultModel) : undefined;

  const admission = {
    /**
     * The subject's rate limit alone (the key's bucket, else the agent's and its caller's), for `tokens` requests at
     * once (a batch takes one token per request): throws the 429 GatewayError when a bucket cannot give them. Beyond
     * the burst a take needs a full bucket and leaves it in debt (see RateLimiter.take), so batches are limited like
     * as many single calls, exactly, on every instance. `callerTokens`: what the caller's bucket gives (default
     * `tokens`; a batch's first agent takes the whole batch's there, the others 0).
     */
    async checkRate(subject: LimitSubject, tokens = 1, callerTokens = tokens): Promise<void> {
      if (!config.limits.enabled) return;
      const caller = subject.caller ? { name: subject.caller, tokens: callerTokens } : undefined;
      const decision = await deps.rateLimiter.take(subject.agentId, subject.key, tokens, caller);
      if (!decision.allowed) throw rateRefusal(subject, decision, decision.bucket === 'caller' ? callerTokens : tokens);
    },

    /**
     * Admits a parsed request for the job `jobId`: the rate limit (429), then the budget reservation (402), in one
     * round trip to Redis (nothing is reserved when the rate limit refuses).
     */
    async admit(body: AdmittedBody, jobId: string, subject: LimitSubject = { agentId: body.agent_id }): Promise<Admitted> {
      if (!config.limits.enabled) return { reservedUsd: 0 };
      const estimate = estimateUsd(body);
      assertReservationShare(estimate, subject);
      return admittedOrThrow(subject, await runAdmit(deps.redis, deps, subject, jobId, estimate, learnedModel(body, estimate)), estimate);
    },

    /**
     * Admits a parsed request and adds its job in one script (one round trip, atomic; the job is added only when
     * admitted): the 429 or 402 GatewayError when refused. `addError` is set when the job was admitted but the add
     * failed: its reservation is then still held (give it back with `release`). Standalone Redis only (see
     * `fusesEnqueue`). `data` gets the amount reserved, which the job carries for its settlement.
     */
    async admitAndAdd<Data>(
      queue: GatedQueue<Data>,
      body: AdmittedBody,
      job: Omit<GatedJob<Data>, 'data'> & { data: (reservedUsd: number) => Data },
      subject: LimitSubject = { agentId: body.agent_id },
    ): Promise<{ data: Data; addError?: Error }> {
      const estimate = estimateUsd(body);
      assertReservationShare(estimate, subject);
      const data = job.data(estimate);
      const { outcome, addError } = await runAdmitAndAdd(
        deps.redis,
        queue,
        deps,
        subject,
        estimate,
        { name: job.name, data, opts: job.opts },
        learnedModel(body, estimate),
      );
      admittedOrThrow(subject, outcome, estimate);
      return { data, ...(addError ? { addError } : {}) };
    },

    /**
     * admitAndAdd for a job whose id was derived from an Idempotency-Key: a duplicate (the job exists) takes nothing;
     * a key whose job was billed and is gone is `spent`; otherwise as admitAndAdd (the 429/402 thrown).
     */
    async admitAndAddIdempotent<Data>(
      queue: GatedQueue<Data>,
      body: AdmittedBody,
      job: Omit<GatedJob<Data>, 'data'> & { data: (reservedUsd: number) => Data },
      subject: LimitSubject,
    ): Promise<{ duplicate: true } | { spent: true } | { addError?: Error }> {
      const estimate = estimateUsd(body);
      assertReservationShare(estimate, subject);
      const reply: AdmitIdempotentOutcome = await runAdmitAndAddIdempotent(
        deps.redis,
        queue,
        deps,
        subject,
        estimate,
        { name: job.name, data: job.data(estimate), opts: job.opts },
        learnedModel(body, estimate),
      );
      if ('duplicate' in reply || 'spent' in reply) return reply;
      admittedOrThrow(subject, reply.outcome, estimate);
      return reply.addError ? { addError: reply.addError } : {};
    },

    /** Whether admission and enqueue share one script: limits on, GATEWAY_FUSED_ENQUEUE, a standalone Redis (not a cluster), a BullMQ whose add can be gated. */
    fusesEnqueue: config.limits.enabled && config.limits.fusedEnqueue && !deps.redis.isCluster && deps.gatedAdds,

    /**
     * Reserves the budget of every request of a batch (job ids in the same order), all or none: in chunks of one
     * script each; a refusal gives back the chunks already reserved and throws the 402 GatewayError. Returns the
     * amount reserved per request.
     */
    async reserveBatch(bodies: readonly AdmittedBody[], jobIds: readonly string[], subject?: LimitSubject): Promise<number[]> {
      if (!config.limits.enabled) return bodies.map(() => 0);
      const estimates = bodies.map((body) => estimateUsd(body));
      estimates.forEach((estimate, index) => {
        try {
          assertReservationShare(estimate, subject);
        } catch (error) {
          throw batchRequestRefused('budget_exceeded', index, (error as Error).message);
        }
      });
      for (let start = 0; start < bodies.length; start += BATCH_RESERVE_CHUNK) {
        const chunk = estimates
          .slice(start, start + BATCH_RESERVE_CHUNK)
          .map((estimate, offset) => ({ jobId: jobIds[start + offset]!, estimateUsd: estimate, model: learnedModel(bodies[start + offset]!, estimate) }));
        const outcome = await deps.budget.reserveAll(chunk, subject?.key);
        if (!outcome.reserved) {
          await Promise.all(jobIds.slice(0, start).map((jobId) => deps.budget.release(jobId, subject?.key?.id).catch(() => undefined)));
          reservedOrThrow({ ...outcome, reserved: false }, outcome.estimateUsd, subject);
        }
      }
      return estimates;
    },

    /** Counts a request sent with an Idempotency-Key by what became of it. */
    countKeyed(outcome: 'created' | 'joined' | 'conflict'): void {
      metrics.idempotentRequests.inc({ outcome });
    },

    /** Whether a keyed job id was billed already (its key spent); clears a released one (see Budget.billedOrClear). */
    async keySpent(jobId: string): Promise<boolean> {
      // Without limits nothing is billed per job id, so nothing is spent.
      if (!config.limits.enabled) return false;
      return (await deps.budget.billedOrClear(jobId)) === 'settled';
    },

    /**
     * Gives back the reservation of a job that was never enqueued (or was removed before it ran), in its key's ledger
     * too when `keyId` is given (otherwise the key's share lapses with the reservation's lifetime).
     */
    async release(jobId: string, keyId?: string): Promise<void> {
      await deps.budget.release(jobId, keyId);
    },
  };
  return admission;
}

export type Admission = ReturnType<typeof createAdmission>;
