import { DelayedError, UnrecoverableError } from 'bullmq';
import { GatewayError, cancelledJobError, toJobError, type ChatJobResult, type ProviderId } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { pacePlan, priceAnswer, settleJobCost, type JobBilling } from '@gateway/limits';
import { createBoundedLabel, type Logger, type Metrics } from '@gateway/observability';
import { publishReply, replyEnvelope, type ChatJob, type RedisClient } from '@gateway/queue';
import { resolveRoute, type ProviderRegistry } from '@gateway/providers';
import { failoverChain, planAttempts, withFailover, type FailoverHooks } from '@gateway/resilience';
import type { HandBack } from './hand-back';
import { runStream } from './run-stream';
import { createJobErrorScrubber } from './job-error-scrubber';

/** What the chat processor needs, passed in so tests can run it against real Redis and fake upstreams. */
export interface ChatProcessorDeps {
  config: Pick<Config, 'llm' | 'providers'>;
  registry: ProviderRegistry;
  /** A plain connection for PUBLISH (not the worker's blocking one). */
  publisher: RedisClient;
  prefix: string;
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
}

function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError('internal_error', 'unexpected failure while running the job', { cause: error, retryable: false });
}

/**
 * Runs one chat job: route, call the providers with failover, publish the outcome on the reply channel of
 * the API instance that waits, and return the result (kept in BullMQ for GET /v1/jobs). Failures are final
 * for the job (UnrecoverableError): failover happens inside the call, not by re-running the job.
 */
export function createChatProcessor(deps: ChatProcessorDeps) {
  const { logger, metrics } = deps;
  const modelLabel = createBoundedLabel(200);
  const scrubJobError = createJobErrorScrubber(deps.config);
  return async (job: ChatJob, token?: string, signal?: AbortSignal): Promise<ChatJobResult> => {
    const data = job.data;
    const jobStarted = performance.now();
    metrics.jobWait.observe({ queue: 'chat' }, Math.max(0, Date.now() - data.accepted_at) / 1000);
    const route = resolveRoute(data.model, { primary: deps.config.llm.provider, defaultModel: deps.config.llm.defaultModel });
    const hooks = deps.hooks ?? {};
    const log = logger.child({ jobId: job.id, requestId: data.request_id });
    const abort = signal ?? new AbortController().signal;
    // Providers at their request rate (or paused after a 429) are skipped; when all are, the job waits in the queue.
    const paced = await pacePlan(deps.billing.pacer, planAttempts(route, failoverChain(deps.config)));
    if ('waitMs' in paced) {
      log.debug({ waitMs: paced.waitMs, reason: paced.reason }, 'job delayed by provider pacing');
      await job.moveToDelayed(Date.now() + paced.waitMs, token);
      throw new DelayedError();
    }
    const plan = paced.plan;
    const failoverHooks: FailoverHooks = {
      ...hooks,
      onFailure: async (attempt, error) => {
        await hooks.onFailure?.(attempt, error);
        // An upstream 429 with Retry-After pauses the provider for every worker (its jobs wait or go to the next provider).
        if (error.details.upstreamStatus === 429 && error.details.retryAfterSeconds !== undefined) {
          await deps.billing.pacer.pause(attempt.provider, error.details.retryAfterSeconds * 1000).catch((pauseError: unknown) => log.warn({ err: pauseError }, 'could not pause provider'));
        }
      },
      onFailover: (from, to, error) => {
        hooks.onFailover?.(from, to, error);
        log.warn({ from: from.provider, to: to.provider, errorType: error.type, reason: error.message }, 'provider failed over');
      },
    };
    const request = {
      messages: data.messages,
      ...(data.temperature !== undefined ? { temperature: data.temperature } : {}),
      ...(data.max_tokens !== undefined ? { maxTokens: data.max_tokens } : {}),
    };
    // Priced and booked under the model asked of the provider that served (stable, unlike the upstream's echo).
    const servedModel = (provider: ProviderId) => plan.find((attempt) => attempt.provider === provider)?.model ?? route.upstreamModel;
    const callOnce = async (): Promise<{ result: ChatJobResult; attempts: number }> => {
      const outcome = await withFailover(
        plan,
        async (attempt) => {
          const started = performance.now();
          try {
            const answer = await deps.registry.get(attempt.provider).chat({ model: attempt.model, ...request }, abort);
            metrics.providerRequestDuration.observe({ provider: attempt.provider, outcome: 'success' }, (performance.now() - started) / 1000);
            metrics.providerRequests.inc({ provider: attempt.provider, model: modelLabel(attempt.model), outcome: 'success' });
            return answer;
          } catch (error) {
            metrics.providerRequestDuration.observe({ provider: attempt.provider, outcome: 'failure' }, (performance.now() - started) / 1000);
            metrics.providerRequests.inc({ provider: attempt.provider, model: modelLabel(attempt.model), outcome: error instanceof GatewayError ? error.type : 'failure' });
            throw error;
          }
        },
        failoverHooks,
      );
      const answer = outcome.value;
      const result: ChatJobResult = {
        content: answer.content,
        model: answer.model,
        provider: outcome.provider,
        usage: answer.usage,
        cost_usd: priceAnswer(deps.billing, { provider: outcome.provider, model: servedModel(outcome.provider), usage: answer.usage, providerCostUsd: answer.costUsd }),
        finish_reason: answer.finishReason,
      };
      return { result, attempts: outcome.failures.length + 1 };
    };
    try {
      if (job.id && deps.wasCancelled?.(job.id)) throw new GatewayError('upstream_error', 'cancelled before it started', { retryable: false });
      // A stream publishes its chunks and its end itself; the result is returned (and billed) the same way.
      const { result, attempts } =
        data.stream && data.reply_to && job.id
          ? await runStream(
              { registry: deps.registry, publisher: deps.publisher, prefix: deps.prefix, metrics, log, modelLabel, price: (call) => priceAnswer(deps.billing, call) },
              { jobId: job.id, replyTo: data.reply_to, plan, request, signal: abort, hooks: failoverHooks },
            )
          : await callOnce();
      metrics.providerTokens.inc({ provider: result.provider, kind: 'prompt' }, result.usage.prompt_tokens);
      metrics.providerTokens.inc({ provider: result.provider, kind: 'completion' }, result.usage.completion_tokens);
      // A sync caller's reply travels with the settlement (one round trip, sent once the job is billed).
      const reply = !data.stream && data.reply_to && job.id ? replyEnvelope(deps.prefix, data.reply_to, { kind: 'result', job_id: job.id, result }) : undefined;
      let replied = false;
      if (job.id) {
        // Billed once per job id: a re-run or second completion of this job is not charged again.
        replied = await settleJobCost(deps.billing, { id: job.id, data }, { result, model: servedModel(result.provider) }, reply).then(
          () => reply !== undefined,
          (settleError: unknown) => {
            log.error({ err: settleError }, 'could not bill the job');
            return false;
          },
        );
      }
      // Billing failed (Redis trouble): the caller still gets its answer if Redis takes the PUBLISH.
      if (reply && !replied) await deps.publisher.publish(reply.channel, reply.message);
      metrics.jobs.inc({ queue: 'chat', outcome: 'completed' });
      const latencyMs = Math.round(performance.now() - jobStarted);
      metrics.jobDuration.observe({ queue: 'chat', outcome: 'completed' }, latencyMs / 1000);
      log.info(
        { provider: result.provider, model: result.model, latencyMs, outcome: 'completed', attempts, stream: data.stream === true, promptTokens: result.usage.prompt_tokens, completionTokens: result.usage.completion_tokens },
        'chat job finished',
      );
      return result;
    } catch (error) {
      const handedBack = abort.aborted ? await deps.handBack?.handBack(job, token) : undefined;
      if (handedBack) {
        metrics.jobs.inc({ queue: 'chat', outcome: 'handed_back' });
        log.info({ model: data.model, latencyMs: Math.round(performance.now() - jobStarted), outcome: 'handed_back' }, 'chat job handed back');
        throw handedBack;
      }
      // Not handed back: the job is over without a result, its reservation goes back to the budgets.
      if (job.id) await settleJobCost(deps.billing, { id: job.id, data }, undefined).catch((releaseError: unknown) => log.error({ err: releaseError }, 'could not release the job reservation'));
      if (abort.aborted || (job.id && deps.wasCancelled?.(job.id))) {
        // The client went away: nobody waits for an answer, and the job must not be retried.
        metrics.jobs.inc({ queue: 'chat', outcome: 'cancelled' });
        log.info({ model: data.model, latencyMs: Math.round(performance.now() - jobStarted), outcome: 'cancelled' }, 'chat job cancelled');
        throw new UnrecoverableError(JSON.stringify(cancelledJobError()));
      }
      const failure = asGatewayError(error);
      const jobError = scrubJobError(toJobError(failure));
      metrics.jobs.inc({ queue: 'chat', outcome: 'failed' });
      metrics.jobDuration.observe({ queue: 'chat', outcome: 'failed' }, (performance.now() - jobStarted) / 1000);
      log.warn({ err: failure, errorType: failure.type, model: data.model, latencyMs: Math.round(performance.now() - jobStarted), outcome: 'failed' }, 'chat job failed');
      if (data.reply_to && job.id) {
        await publishReply(deps.publisher, deps.prefix, data.reply_to, { kind: 'error', job_id: job.id, error: jobError }).catch((publishError: unknown) =>
          log.error({ err: publishError }, 'could not publish job failure'),
        );
      }
      // The job's failedReason carries the serialised error so GET /v1/jobs can report its type.
      throw new UnrecoverableError(JSON.stringify(jobError));
    }
  };
}
