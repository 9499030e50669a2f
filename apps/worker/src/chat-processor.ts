import { DelayedError, UnrecoverableError } from 'bullmq';
import {
  cancelledBeforeStart,
  cancelledJobError,
  expiredJobError,
  internalError,
  isEmbeddingsJob,
  laneOf,
  toGatewayError,
  toJobError,
  type ChatJobResult,
} from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { pacePlan, priceAnswer, settleJobCost, startCappedJob, startJobCall, type BilledJob, type JobBilling, type RequestLogAppend } from '@gateway/limits';
import { createBoundedLabel, type Logger, type Metrics } from '@gateway/observability';
import {
  isBatchCancelled,
  readStreamMessages,
  resultReplyEnvelope,
  type ChatJob,
  type JobStreamLimits,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import type { ProviderRegistry } from '@gateway/providers';
import type { FailoverHooks } from '@gateway/resilience';
import { consumedResult, createCallMeter, type CallMeter } from './call-meter';
import { createCapacitySession, type CapacityDeps, type CapacitySession } from './capacity-session';
import { callProviders, type CallDeps } from './call-providers';
import type { HandBack } from './hand-back';
import { jobFailoverHooks, type PauseAttempt } from './job-hooks';
import { callEmbeddings } from './call-embeddings';
import { createJobReporter, type JobReport, type JobReporter } from './job-report';
import { capacityTokens, estimatedPromptTokens, planJob, type AnyJobPlan } from './job-plan';
import { createJobErrorScrubber } from './job-error-scrubber';
import { isLockLost, LockLostError } from './run-locks';
import { keepCompletedOutcome } from './kept-outcome';
import { completeFromCache } from './cached-answer';
import type { JobCache } from './job-cache';
import { runStream, streamSender } from './run-stream';
import { setAsideEmbeddings } from './stored-embeddings';

/** What the chat processor needs, passed in so tests can run it against real Redis and fake upstreams. */
export interface ChatProcessorDeps {
  config: Pick<Config, 'llm' | 'providers'> & Partial<Pick<Config, 'stream' | 'queue'>>;
  registry: ProviderRegistry;
  /** A plain connection for PUBLISH (not the worker's blocking one). */
  publisher: RedisClient;
  /**
   * Where a stream's chunks and end go (PUBLISH, or the append script of a resumable stream); default: publisher.
   * Thousands of streams send a message every few hundred ms each: an auto-pipelined connection sends those of one
   * turn of the event loop in one write instead of one write each.
   */
  streamPublisher?: RedisClient;
  prefix: QueuePrefix;
  logger: Logger;
  metrics: Metrics;
  /** Gives aborted jobs back to the queue while the worker stops. */
  handBack?: HandBack;
  /** Circuit breaker and shared counters (createBreakerHooks); none: every provider is always tried. */
  hooks?: FailoverHooks;
  /** True for a job whose cancel arrived before it started here (see cancel-tracker). */
  wasCancelled?: (jobId: string) => boolean;
  /** Pricing, budget settlement and provider pacing. */
  billing: JobBilling;
  /** The deployments of GATEWAY_CONFIG_FILE and their shared capacity; none (or no deployment declared): providers paced as ever. */
  capacity?: CapacityDeps & { defaultMaxTokens: number };
  /** Traces and the request log of each job; none: neither. */
  reporter?: JobReporter;
  /** The response cache (jobs that opted in: looked up as they start, filled as they complete); none: no cache. */
  responseCache?: JobCache;
}

/** A job step that threw something other than a GatewayError: a bug, reported without its text. */
const unexpectedJobFailure = (error: unknown) => internalError('unexpected failure while running the job', error);

/** A job that has a BullMQ id (every job the gateway adds has one). */
type IdentifiedJob = ChatJob & { id: string };

/** This run's provider call, for billing: each run of a job (BullMQ counts them) makes at most one, failover aside. */
const billedRun = (job: IdentifiedJob): BilledJob & { call: string } => ({ id: job.id, data: job.data, call: String(job.attemptsStarted) });

/**
 * Runs one chat job, in named steps: plan (route, failover chain, providers that can honour the request),
 * pace (providers at their request rate or paused wait in the queue), call (with failover; streamed or not),
 * complete (tokens, billing with the reply, log) or fail (hand back, release, cancel, report). The result is
 * kept in BullMQ for GET /v1/jobs. Failures are final for the job (UnrecoverableError): failover happens inside
 * the call, not by re-running the job.
 */
export function createChatProcessor(deps: ChatProcessorDeps) {
  const { logger, metrics } = deps;
  const modelLabel = createBoundedLabel(200);
  const scrubJobError = createJobErrorScrubber(deps.config);
  // A resumable stream keeps its messages as long as the job's result is kept.
  const keep: JobStreamLimits = { maxMessages: deps.config.stream?.resumeMaxMessages ?? 10_000, ttlSeconds: deps.config.queue?.retentionSeconds ?? 3600 };
  const keepFor = (job: IdentifiedJob) => (job.data.resumable ? keep : undefined);
  const reporter = deps.reporter ?? createJobReporter({ logger });
  const callDeps: CallDeps = { registry: deps.registry, metrics, modelLabel, price: (call) => priceAnswer(deps.billing, call) };

  /** Providers at their request rate (or paused after a 429) are skipped; when all are, the job waits in the queue. */
  const paceOrDelay = async <P extends AnyJobPlan>(job: IdentifiedJob, token: string | undefined, plan: P, log: Logger): Promise<P> => {
    const paced = await pacePlan(deps.billing.pacer, plan.attempts, laneOf(job.data.lane, job.data.reply_to));
    if ('plan' in paced) return { ...plan, attempts: paced.plan };
    log.debug({ waitMs: paced.waitMs, reason: paced.reason }, 'job delayed by provider pacing');
    await job.moveToDelayed(Date.now() + paced.waitMs, token);
    throw new DelayedError();
  };

  /**
   * With deployments declared: the plan from the first deployment with room (its place taken); when none has, the
   * job waits in the queue until the soonest may, the reason in its log (Bull Board shows it delayed).
   */
  const gateOrDelay = async <P extends AnyJobPlan>(
    job: IdentifiedJob,
    token: string | undefined,
    plan: P,
    session: CapacitySession,
    log: Logger,
  ): Promise<P> => {
    const started = await session.start(plan.attempts);
    if ('plan' in started) return { ...plan, attempts: started.plan };
    metrics.capacityWaits.inc({ reason: started.reason });
    // Spread the wake-ups of jobs that waited for the same slice: they would all ask at once.
    const waitMs = started.waitMs + Math.floor(Math.random() * Math.min(250, started.waitMs / 10 + 1));
    log.debug({ waitMs, deployment: started.deployment, reason: started.reason }, 'job waits for deployment capacity');
    await job.log(`waiting for capacity: ${started.deployment} (${started.reason}), next look in ${waitMs} ms`).catch(() => undefined);
    await job.moveToDelayed(Date.now() + waitMs, token);
    throw new DelayedError();
  };

  const pauseAttempt: PauseAttempt = (attempt, ms) =>
    attempt.deployment !== undefined && deps.capacity ? deps.capacity.capacity.pause(attempt.deployment, ms) : deps.billing.pacer.pause(attempt.provider, ms);

  /** Bills the job once (the sync caller's reply travels with the settlement: one round trip, sent once billed) and logs it. */
  const complete = async (
    job: IdentifiedJob,
    outcome: { result: ChatJobResult; attempts: number },
    plan: AnyJobPlan,
    log: Logger,
    startedAt: number,
    report: JobReport,
  ): Promise<ChatJobResult> => {
    const { result, attempts } = outcome;
    const data = job.data;
    metrics.providerTokens.inc({ provider: result.provider, kind: 'prompt' }, result.usage.prompt_tokens);
    metrics.providerTokens.inc({ provider: result.provider, kind: 'completion' }, result.usage.completion_tokens);
    // An embeddings job's vectors are kept once, under their own key, written before the reply is sent: an API that
    // reads them from there (`reply_vectors: key`) gets a reply naming the key, so they cross Redis once.
    const apart = setAsideEmbeddings(deps, job.id, result, Math.max(keep.ttlSeconds, data.keep_outcome_seconds ?? 0), log);
    const storedApart = apart ? await apart.setApart() : false;
    // Not written (Redis trouble): the kept outcome and the return value hold the vectors themselves.
    const keptResult = apart && storedApart ? apart.result : result;
    // The result's JSON, serialised once for the reply and the kept outcome.
    let json: string | undefined;
    const resultJson = () => (json ??= JSON.stringify(keptResult));
    const byKey = storedApart && isEmbeddingsJob(data) && data.reply_vectors === 'key';
    const reply =
      !data.stream && data.reply_to ? (apart?.reply(data.reply_to, byKey) ?? resultReplyEnvelope(deps.prefix, data.reply_to, job.id, resultJson())) : undefined;
    // Kept before the reply can reach anyone who would continue the response: in the settlement's script
    // (standalone Redis), else sent just before it on the same connection.
    const keeping = keepCompletedOutcome(deps, job, resultJson, log);
    // A cache entry keeps the whole answer (an embeddings hit is served from it alone, vectors included).
    const cached = deps.responseCache?.fill(data, result, log);
    // Billed once per provider call: a second completion of this run is not charged again.
    const settle = (logged: RequestLogAppend | undefined) =>
      settleJobCost(deps.billing, billedRun(job), { result, model: plan.servedModel(result.provider) }, reply, logged, keeping?.inSettlement);
    const settled = await report.completed(result, reply !== undefined, settle).then(
      () => true,
      (settleError: unknown) => {
        log.error({ err: settleError }, 'could not bill the job');
        return false;
      },
    );
    // Billing failed (Redis trouble): the outcome it carried is kept on its own, before the reply below.
    await Promise.all([keeping?.written ?? (!settled && keeping?.inSettlement ? keeping.write() : undefined), cached]);
    // The vectors not written apart (Redis trouble): the return value keeps them, so no reader finds them missing.
    const returned = keptResult;
    // Billing failed (Redis trouble): the caller still gets its answer if Redis takes the PUBLISH.
    if (reply && !settled) await deps.publisher.publish(reply.channel, reply.message);
    metrics.jobs.inc({ queue: 'chat', outcome: 'completed' });
    const latencyMs = Math.round(performance.now() - startedAt);
    metrics.jobDuration.observe({ queue: 'chat', outcome: 'completed' }, latencyMs / 1000);
    log.info(
      {
        provider: result.provider,
        model: result.model,
        latencyMs,
        outcome: 'completed',
        attempts,
        stream: data.stream === true,
        ...(plan.kind === 'embeddings' ? { kind: plan.kind, inputs: plan.request.input.length } : {}),
        promptTokens: result.usage.prompt_tokens,
        completionTokens: result.usage.completion_tokens,
        toolCalls: result.tool_calls?.length ?? 0,
        finishReason: result.finish_reason,
      },
      'chat job finished',
    );
    return returned;
  };

  /**
   * Ends, without calling a provider, a batch request whose completion_window passed before it started (`expired`)
   * or whose batch was cancelled; its reservation goes back. Undefined when the job may run.
   */
  const endUnstartable = async (job: IdentifiedJob, log: Logger, report: JobReport): Promise<UnrecoverableError | undefined> => {
    const data = job.data;
    const expired = data.expires_at !== undefined && Date.now() > data.expires_at;
    const cancelled = !expired && data.batch_id !== undefined && (await isBatchCancelled(deps.publisher, deps.prefix, data.batch_id).catch(() => false));
    if (!expired && !cancelled) return undefined;
    await settleJobCost(deps.billing, { id: job.id, data }, undefined).catch((releaseError: unknown) =>
      log.error({ err: releaseError }, 'could not release the job reservation'),
    );
    await deps.responseCache?.release(job.id, data, log);
    const outcome = expired ? 'expired' : 'cancelled';
    const ending = expired ? expiredJobError() : cancelledJobError('the batch was cancelled');
    report.ended(ending);
    metrics.jobs.inc({ queue: 'chat', outcome });
    log.info({ model: data.model, batchId: data.batch_id, outcome }, expired ? 'batch request expired' : 'batch request cancelled');
    return new UnrecoverableError(JSON.stringify(ending));
  };

  /**
   * Bills what this run's provider call consumed when it ended without its result (cut by a cancel, a lost lock,
   * the shutdown, or broken mid-stream: the provider bills what it generated), and returns it. Nothing consumed
   * (no call, or the upstream answered with an error): undefined.
   */
  const billConsumed = async (
    job: IdentifiedJob,
    plan: AnyJobPlan | undefined,
    meter: CallMeter | undefined,
    error: unknown,
    abort: AbortSignal,
    log: Logger,
  ) => {
    const consumed =
      plan && meter
        ? consumedResult(meter, { aborted: abort.aborted, error }, () => estimatedPromptTokens(plan), job.data.reserved_usd ?? 0, callDeps.price)
        : undefined;
    if (!consumed) return undefined;
    await settleJobCost(deps.billing, billedRun(job), { result: consumed, model: consumed.model }).then(
      ({ billed }) =>
        log.info({ provider: consumed.provider, costUsd: consumed.cost_usd, completionTokens: consumed.usage.completion_tokens, billed }, 'cut call billed'),
      (settleError: unknown) => log.error({ err: settleError }, 'could not bill the cut call'),
    );
    return consumed;
  };

  /**
   * Ends a job without a result: given up (its lock is another run's now), handed back (the worker stops), cancelled,
   * or failed and reported; never retried. A provider call it made is billed for what it consumed first.
   */
  const fail = async (
    job: IdentifiedJob,
    token: string | undefined,
    error: unknown,
    abort: AbortSignal,
    log: Logger,
    startedAt: number,
    report: JobReport,
    call?: { plan: AnyJobPlan; meter: CallMeter },
  ): Promise<never> => {
    const data = job.data;
    const consumed = await billConsumed(job, call?.plan, call?.meter, error, abort, log);
    if (isLockLost(abort) || error instanceof LockLostError) {
      // The job is another run's (or will be, once taken for stalled): it reports, releases and replies, not this one.
      metrics.jobs.inc({ queue: 'chat', outcome: 'lock_lost' });
      log.warn({ model: data.model, latencyMs: Math.round(performance.now() - startedAt), outcome: 'lock_lost' }, 'chat job run given up');
      throw new UnrecoverableError(String((isLockLost(abort) ? (abort.reason as Error) : (error as Error)).message));
    }
    const handedBack = abort.aborted ? await deps.handBack?.handBack(job, token) : undefined;
    if (handedBack) {
      metrics.jobs.inc({ queue: 'chat', outcome: 'handed_back' });
      log.info({ model: data.model, latencyMs: Math.round(performance.now() - startedAt), outcome: 'handed_back' }, 'chat job handed back');
      throw handedBack;
    }
    // Not handed back and nothing consumed: the job is over without a result, its reservation goes back to the budgets.
    if (!consumed) {
      await settleJobCost(deps.billing, billedRun(job), undefined).catch((releaseError: unknown) =>
        log.error({ err: releaseError }, 'could not release the job reservation'),
      );
    }
    // Over without an answer: identical requests waiting for this one call themselves.
    await deps.responseCache?.release(job.id, data, log);
    if (abort.aborted || deps.wasCancelled?.(job.id)) {
      // The client went away: nobody waits for an answer, and the job must not be retried.
      metrics.jobs.inc({ queue: 'chat', outcome: 'cancelled' });
      report.ended(cancelledJobError(), consumed);
      // Readers attached to a resumable stream learn that it ended.
      if (data.resumable) {
        await streamSender(deps, { jobId: job.id, keep: keepFor(job), lockToken: token })({ kind: 'error', job_id: job.id, error: cancelledJobError() }).catch(
          (publishError: unknown) => log.warn({ err: publishError }, 'could not keep the stream cancel'),
        );
      }
      log.info({ model: data.model, latencyMs: Math.round(performance.now() - startedAt), outcome: 'cancelled' }, 'chat job cancelled');
      throw new UnrecoverableError(JSON.stringify(cancelledJobError()));
    }
    const failure = toGatewayError(error, unexpectedJobFailure);
    const jobError = scrubJobError(toJobError(failure));
    metrics.jobs.inc({ queue: 'chat', outcome: 'failed' });
    report.ended(jobError, consumed);
    metrics.jobDuration.observe({ queue: 'chat', outcome: 'failed' }, (performance.now() - startedAt) / 1000);
    log.warn(
      { err: failure, errorType: failure.type, model: data.model, latencyMs: Math.round(performance.now() - startedAt), outcome: 'failed' },
      'chat job failed',
    );
    if (data.reply_to || data.resumable) {
      const restart = restartOf(job);
      await streamSender(deps, { jobId: job.id, replyTo: data.reply_to, keep: keepFor(job), lockToken: token })({
        kind: 'error',
        job_id: job.id,
        ...(restart !== undefined ? { restart } : {}),
        error: jobError,
      }).catch((publishError: unknown) => log.error({ err: publishError }, 'could not publish job failure'));
    }
    // The job's failedReason carries the serialised error so GET /v1/jobs can report its type.
    throw new UnrecoverableError(JSON.stringify(jobError));
  };

  /**
   * A streamed job whose stream is not kept, run again (its lock lapsed, or it was handed back): it starts the
   * stream over, and says so in its messages (`restart`: the API relays only what it says beyond what was sent).
   */
  const restartOf = (job: IdentifiedJob) => (job.data.stream === true && !job.data.resumable && job.attemptsStarted > 1 ? job.attemptsStarted : undefined);

  /** A resumable job run again (taken over after a worker died, its lock lapsed, or handed back) goes on from its kept messages. */
  const keptBefore = async (job: IdentifiedJob) =>
    job.data.resumable && job.attemptsStarted > 1 ? (await readStreamMessages(deps.publisher, deps.prefix, job.id)).map((kept) => kept.message) : [];

  return async (job: ChatJob, token?: string, signal?: AbortSignal): Promise<ChatJobResult> => {
    if (!job.id) throw new UnrecoverableError('a chat job needs an id');
    const identified = job as IdentifiedJob;
    const data = job.data;
    const startedAt = performance.now();
    const lane = laneOf(data.lane, data.reply_to);
    metrics.jobWait.observe({ queue: 'chat', lane }, Math.max(0, Date.now() - data.accepted_at) / 1000);
    const log = logger.child({ jobId: job.id, requestId: data.request_id });
    if (job.attemptsStarted > 1) log.warn({ attemptsStarted: job.attemptsStarted, stalledCounter: job.stalledCounter }, 'chat job run again');
    const meter = createCallMeter();
    const report = reporter.start(identified, meter, Date.now());
    if (data.batch_id !== undefined) {
      const unstartable = await endUnstartable(identified, log, report);
      if (unstartable) throw unstartable;
    }
    const abort = signal ?? new AbortController().signal;
    let plan: AnyJobPlan;
    try {
      plan = planJob(deps.config, data, deps.capacity);
    } catch (error) {
      return fail(identified, token, error, abort, log, startedAt, report);
    }
    // A request of a batch or an asynchronous job that opted in: answered by the cache, or the one identical request
    // to call (the others wait in the queue for its answer), before it takes any capacity or budget.
    if (data.response_cache?.lookup && deps.responseCache && !deps.wasCancelled?.(job.id)) {
      const start = await deps.responseCache.start(identified, log);
      if ('hit' in start) return completeFromCache(deps, identified, start.hit, { ttlSeconds: keep.ttlSeconds, stream: keepFor(identified) }, report, log);
      if ('waitMs' in start) {
        log.debug({ waitMs: start.waitMs }, 'job waits for an identical request in flight');
        await job.moveToDelayed(Date.now() + start.waitMs, token);
        throw new DelayedError();
      }
    }
    // Deployments' shared capacity gates their calls, chat and embeddings alike; without deployments, providers are paced.
    const capacity = deps.capacity?.table.declared ? deps.capacity : undefined;
    let estimate = 0;
    let session: CapacitySession | undefined;
    try {
      estimate = capacity ? capacityTokens(plan, capacity.defaultMaxTokens) : 0;
      session = capacity ? createCapacitySession(capacity, deps.billing.pacer, lane, estimate, log) : undefined;
      plan = session ? await gateOrDelay(identified, token, plan, session, log) : await paceOrDelay(identified, token, plan, log);
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      // The capacity or the pacing failed (Redis trouble, a deployment it cannot count): the place taken, if any,
      // goes back, and the job fails like any other, its reservation released now rather than when it lapses.
      session?.finish(0);
      return fail(identified, token, error, abort, log, startedAt, report);
    }
    const hooks = report.hooks(jobFailoverHooks(session ? session.hooks(deps.hooks ?? {}) : (deps.hooks ?? {}), pauseAttempt, log));
    try {
      if (deps.wasCancelled?.(job.id)) throw cancelledBeforeStart();
      // A request of a batch with max_cost_usd runs only while the batch's spend is below it (budget_exceeded).
      await startCappedJob(deps.billing, identified);
      // From here the provider may bill: an earlier run's call no run billed is billed now, at the reservation.
      const { orphansBilled } = await startJobCall(deps.billing, billedRun(identified));
      if (orphansBilled > 0) log.warn({ orphansBilled }, 'calls of earlier runs billed at the reservation');
      // A stream publishes its chunks and its end itself; the result is returned (and billed) the same way.
      const streamed = data.stream === true && (data.reply_to !== undefined || data.resumable === true);
      const outcome =
        plan.kind === 'embeddings'
          ? await callEmbeddings({ ...callDeps, config: deps.config }, plan, abort, hooks, meter)
          : streamed
            ? await runStream(
                { ...callDeps, publisher: deps.streamPublisher ?? deps.publisher, prefix: deps.prefix, log },
                {
                  jobId: job.id,
                  replyTo: data.reply_to,
                  keep: keepFor(identified),
                  kept: await keptBefore(identified),
                  restart: restartOf(identified),
                  lockToken: token,
                  plan,
                  signal: abort,
                  hooks,
                  meter,
                },
              )
            : await callProviders(callDeps, plan, abort, hooks, meter);
      session?.finish(outcome.result.usage.total_tokens);
      return await complete(identified, outcome, plan, log, startedAt, report);
    } catch (error) {
      // A call cut mid-way counts what it reported, else its estimate.
      const cut = meter.state();
      session?.finish(cut ? (cut.usage?.total_tokens ?? estimate) : 0);
      return fail(identified, token, error, abort, log, startedAt, report, { plan, meter });
    }
  };
}
