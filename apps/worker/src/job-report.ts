import type { ChatJobResult, GatewayJobData, JobError } from '@gateway/contracts';
import { secretValues, type Config } from '@gateway/config';
import { createRequestLogFromConfig, type RequestLog, type RequestLogAppend } from '@gateway/limits';
import { createSecretScrubber, type Logger, type Tracing } from '@gateway/observability';
import { providerSecretValues } from '@gateway/providers';
import type { RedisClient } from '@gateway/queue';
import { deploymentOf, type FailoverHooks, type PlannedAttempt } from '@gateway/resilience';
import type { CallMeter } from './call-meter';
import { startJobTrace, type JobTrace } from './job-trace';
import { requestLogRecord, type BodyScrubber } from './request-log-record';

/** What a job tells of itself as it ends: its trace's spans and its request log entry. */
export interface JobReport {
  /** The job's failover hooks, each attempt traced and the deployment called noted (the request log's `deployment`). */
  hooks(inner: FailoverHooks): FailoverHooks;
  /** Settles a completed job: the request log entry goes with the settlement (`work` passes it on), in a span. */
  completed<T>(result: ChatJobResult, withReply: boolean, work: (logged: RequestLogAppend | undefined) => Promise<T>): Promise<T>;
  /**
   * A job that ended without completing (failed, cancelled, expired): its spans, and its entry (one XADD, sent on the
   * job's connection without waiting for it: the error reply that follows is not held back by a round trip).
   */
  ended(error: JobError, consumed?: ChatJobResult): void;
  /** A job the response cache answered (no call, nothing billed): its spans, and its entry (one XADD, not awaited). */
  answeredFromCache(result: ChatJobResult): void;
}

export interface JobReporterDeps {
  tracing?: Tracing | undefined;
  requestLog?: RequestLog | undefined;
  /** REQUEST_LOG_BODIES: entries keep the messages and the answer, run through this. */
  bodies?: BodyScrubber | undefined;
  logger: Logger;
}

/** Neither traces nor a request log: nothing runs, nothing is allocated per job. */
const silentReport: JobReport = {
  hooks: (inner) => inner,
  completed: (_result, _withReply, work) => work(undefined),
  ended: () => undefined,
  answeredFromCache: () => undefined,
};

/** Reports of jobs: per job, `start` when a worker takes it (`meter`: its calls, for the provider and first token). */
export function createJobReporter(deps: JobReporterDeps) {
  const tracing = deps.tracing?.enabled ? deps.tracing : undefined;
  const log = deps.requestLog?.enabled ? deps.requestLog : undefined;
  return {
    start(job: { id: string; data: GatewayJobData }, meter: CallMeter, startedAt: number): JobReport {
      if (!tracing && !log) return silentReport;
      const spans: JobTrace | undefined = tracing ? startJobTrace(tracing, job, startedAt) : undefined;
      /** The attempt called last: the one that answered, or the last tried. */
      let called: PlannedAttempt | undefined;
      const noteCalls = (inner: FailoverHooks): FailoverHooks => ({
        ...inner,
        shouldTry: async (attempt) => {
          const allowed = inner.shouldTry ? await inner.shouldTry(attempt) : true;
          if (allowed) called = attempt;
          return allowed;
        },
      });
      const record = (result: ChatJobResult | undefined, error?: JobError, fromCache?: boolean) =>
        requestLogRecord(
          {
            jobId: job.id,
            data: job.data,
            startedAt,
            result,
            error,
            provider: meter.state()?.provider,
            deployment: called ? deploymentOf(called) : undefined,
            firstTokenAt: meter.firstTokenAt(),
            traceId: spans?.traceId,
            fromCache,
          },
          deps.bodies,
        );
      return {
        hooks: (inner) => (spans ? spans.hooks(noteCalls(inner)) : noteCalls(inner)),
        async completed(result, withReply, work) {
          const logged = log?.appendCall(record(result));
          try {
            return spans ? await spans.settle(() => work(logged), withReply) : await work(logged);
          } finally {
            spans?.end(result);
          }
        },
        ended(error, consumed) {
          spans?.end(consumed, error);
          log?.append(record(consumed, error)).catch((appendError: unknown) => deps.logger.warn({ err: appendError }, 'could not log the request'));
        },
        answeredFromCache(result) {
          spans?.end(result);
          log?.append(record(result, undefined, true)).catch((appendError: unknown) => deps.logger.warn({ err: appendError }, 'could not log the request'));
        },
      };
    },
  };
}

export type JobReporter = ReturnType<typeof createJobReporter>;

/** The reporter as configured: the request log (REQUEST_LOG_*) on `redis`, and the app's tracing. */
export function createJobReporterFromConfig(config: Config, deps: { redis: RedisClient; tracing: Tracing; logger: Logger }): JobReporter {
  return createJobReporter({
    tracing: deps.tracing,
    requestLog: createRequestLogFromConfig(deps.redis, config),
    bodies: config.requestLog.bodies ? createSecretScrubber([...secretValues(config), ...providerSecretValues(config)]) : undefined,
    logger: deps.logger,
  });
}
