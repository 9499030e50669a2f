import { loadConfigOrExit, retiredSettingsIn, secretValues } from '@gateway/config';
import { randomUUID } from 'node:crypto';
import { createBatchCaps, createBudgetFromConfig, createPricingFromConfig, createProviderPacer, createResponseCacheStore } from '@gateway/limits';
import { createLogger, createMetrics, startTracing } from '@gateway/observability';
import {
  bullPrefix,
  callbackSubject,
  createCallbackQueue,
  createCallbackWorker,
  createChatWorker,
  createRedisConnection,
  jobKeysOf,
  laneConcurrency,
  limitsPrefix,
  readJobViews,
  redisAnswers,
  settleWithin,
  subscribeCancels,
  waitForReady,
  warnOnEvictionPolicy,
} from '@gateway/queue';
import { createProviderRegistry, definitionOf, providerConfigurationProblems, providerSecretValues } from '@gateway/providers';
import { createChatProcessor } from './chat-processor';
import { keepingOutcomes } from './kept-outcome';
import { createHandBack } from './hand-back';
import { listeningPort, startMetricsServer } from './metrics-server';
import { createWorkerShutdown } from './shutdown';
import { createWorkerBreakerHooks } from './breaker-hooks';
import { createCallbackDelivery } from './callbacks';
import { recordCallbacksFirst, watchFinishedJobs } from './callback-outbox';
import { createCancelTracker } from './cancel-tracker';
import { createBatchEndCheck, watchBatchEnds } from './batch-end';
import { createRunLocks, logWorkerError, withRunLocks } from './run-locks';
import { createWorkerCapacity } from './worker-capacity';
import { createJobReporterFromConfig } from './job-report';
import { createJobCache } from './job-cache';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env, [providerConfigurationProblems]);
  const logger = createLogger({
    name: 'worker',
    level: config.log.level,
    pretty: config.log.pretty,
    flushIntervalMs: config.log.flushIntervalMs,
    secrets: [...secretValues(config), ...providerSecretValues(config)],
  });
  const metrics = createMetrics({ app: 'worker' });
  // Two prefixes from QUEUE_PREFIX: BullMQ's (hash-tagged on a cluster, so a queue's keys share a slot) and the
  // plain one the limits, pacing and key store build their own hash tags under.
  const bullmqPrefix = bullPrefix(config);
  const plainPrefix = limitsPrefix(config);

  for (const { variable, replacedBy } of retiredSettingsIn(process.env)) logger.warn({ variable, replacedBy }, 'setting no longer read: ignored');
  for (const provider of new Set([config.llm.provider, ...config.llm.fallbacks])) {
    if (definitionOf(provider).deprecated) logger.warn({ provider }, 'provider is deprecated: route through openrouter instead');
  }

  const registry = createProviderRegistry(config);
  const publisher = createRedisConnection(config, 'blocking', 'gw-worker-publisher');
  const workerConnection = createRedisConnection(config, 'blocking', 'gw-worker');
  // Streams' chunks: one write per turn of the event loop for all of them (see ChatProcessorDeps.streamPublisher).
  const streamPublisher = createRedisConnection(config, 'blocking', 'gw-worker-streams', { autoPipelining: true });
  for (const [name, connection] of [
    ['publisher', publisher],
    ['worker', workerConnection],
    ['streams', streamPublisher],
  ] as const) {
    connection.on('error', (error: Error) => logger.warn({ err: error, connection: name }, 'redis connection error'));
  }

  const pricing = createPricingFromConfig(publisher, config, { instanceId: randomUUID(), logger });
  const billing = {
    pricing: pricing.book,
    budget: createBudgetFromConfig(publisher, config),
    batchCaps: createBatchCaps({ redis: publisher, prefix: plainPrefix, ttlSeconds: config.queue.retentionSeconds }),
    pacer: createProviderPacer({
      redis: publisher,
      prefix: plainPrefix,
      rpm: config.pacing.rpm,
      maxPauseMs: config.pacing.maxPauseMs,
      interactiveReserve: config.pacing.interactiveReserve,
    }),
    metrics,
  };
  const handBack = createHandBack();
  const breaker = createWorkerBreakerHooks(config, bullmqPrefix, logger, metrics);
  await waitForReady(breaker.redis, 5000).catch(() => logger.warn('breaker redis connection not ready yet: the circuit fails open until it is'));
  const cancels = createCancelTracker();
  // One subscriber connection for all the news a worker reads: cancels, provider pauses and circuit changes.
  const newsSubscriber = createRedisConnection(config, 'blocking', 'gw-worker-news');
  newsSubscriber.on('error', (error: Error) => logger.warn({ err: error, connection: 'news' }, 'redis connection error'));
  const tracing = await startTracing(config, { name: 'gateway-worker', instanceId: randomUUID() });
  // A job's hash key in the queue its id names (job-ids.ts): for reading jobs of any lane without their queue.
  const jobKeys = jobKeysOf(bullmqPrefix);
  // Jobs that ask for it (stored and background responses) keep their outcome beyond the job's retention.
  const processor = keepingOutcomes(
    createChatProcessor({
      config,
      registry,
      publisher,
      streamPublisher,
      prefix: bullmqPrefix,
      logger,
      metrics,
      handBack,
      hooks: breaker.hooks,
      wasCancelled: cancels.wasCancelled,
      billing,
      capacity: createWorkerCapacity(config, publisher, plainPrefix, metrics),
      reporter: createJobReporterFromConfig(config, { redis: publisher, tracing, logger }),
      responseCache: createJobCache({
        store: createResponseCacheStore({ redis: publisher, prefix: plainPrefix, quotaBytes: config.responseCache.keyQuotaBytes }),
        markMs: config.http.chatTimeoutMs,
        redis: publisher,
        jobKey: (jobId) => jobKeys.toKey(jobId),
      }),
    }),
    { publisher, prefix: bullmqPrefix, logger },
  );
  // Each run of a job renews its own lock; one that loses it is aborted; a cancel reaches every run of the job.
  const runLocks = createRunLocks({ lockDurationMs: config.worker.lockDurationMs, log: logger });
  // A job's callback is recorded in Redis before the job runs; its end here only makes it due (callback-outbox.ts).
  const callbacks = createCallbackQueue(publisher, bullmqPrefix, config);
  const recheckMs = config.worker.lockDurationMs;
  const runJob = withRunLocks(runLocks, recordCallbacksFirst(processor, { callbacks, recheckMs, logger }));
  // One consumer per lane's queue, each with its own slots: an interactive call never waits for a slot that job or
  // batch calls hold, and is woken by its own queue. The `chat` consumer runs whatever it finds there: also the job and
  // batch work that API instances from before the lane queues added (in their old priority order, after interactive).
  const lanes = ['interactive', 'job', 'batch'] as const;
  const chatWorkers = lanes.map((lane) => createChatWorker(runJob, { connection: workerConnection, prefix: bullmqPrefix, config, lane, ownLockRenewal: true }));
  // The consumers as one, for the cancel tracker and the shutdown.
  const worker = {
    cancelJob: (jobId: string, reason?: string) => runLocks.cancelJob(jobId, reason),
    cancelAllJobs: (reason?: string) => runLocks.cancelAllJobs(reason),
    close: async () => {
      await Promise.all(chatWorkers.map((each) => each.close()));
      runLocks.close();
    },
  };
  for (const each of chatWorkers) each.on('error', (error) => logWorkerError(logger, error));
  cancels.attach(worker);
  // Job cancels (client gone, DELETE /v1/jobs/:id): the worker running the job aborts its signal, which reaches the
  // provider call; the others remember the id briefly in case the job is taken just after. A cancel published
  // while this connection is down is missed: that job then runs to its end.
  const cancelSubscription = subscribeCancels({ subscriber: newsSubscriber, prefix: bullmqPrefix, onCancel: (jobId) => cancels.cancel(jobId) });
  // Provider pauses (after an upstream 429) on the same subscriber: known locally, a provider without PROVIDER_RPM
  // costs no pacing round trip per job.
  const pauseWatch = billing.pacer.watchPauses(newsSubscriber);
  // Circuit changes too: a clean circuit (closed, no failure) costs no breaker round trip per call.
  const circuitWatch = breaker.breaker.watch(newsSubscriber);
  for (const each of chatWorkers) watchFinishedJobs(each, { callbacks, logger });
  // Batch requests end in `chat-batch`, and those of batches made before the lane queues in `chat`.
  for (const each of chatWorkers)
    watchBatchEnds(each, { callbacks, redis: publisher, prefix: bullmqPrefix, retentionSeconds: config.queue.retentionSeconds, logger });
  if (config.jobs.callbackSecret === undefined && config.jobs.callbackAllowedHosts.length > 0) {
    logger.warn('job callbacks are sent unsigned: set JOB_CALLBACK_SECRET so receivers can check X-Gateway-Signature');
  }
  const jobView = async (jobId: string) => (await readJobViews(publisher, jobKeys, bullmqPrefix, [jobId], true))[0];
  // A batch's callback is recorded when the batch is created; the delivery reads the batch's end (batch-end.ts).
  const batchEnd = createBatchEndCheck({ callbacks, redis: publisher, queue: jobKeys, prefix: bullmqPrefix, recheckMs });
  const callbackWorker = createCallbackWorker(createCallbackDelivery({ config, logger, recorded: { jobView, recheckMs, batchEnd } }), {
    connection: workerConnection,
    prefix: bullmqPrefix,
    config,
  });
  callbackWorker.on('error', (error) => logger.error({ err: error }, 'callback worker error'));
  callbackWorker.on('failed', (job, error) =>
    logger.warn({ jobId: job ? callbackSubject(job.data) : undefined, attempt: job?.attemptsMade, reason: error.message }, 'callback delivery failed'),
  );
  await Promise.all([
    ...chatWorkers.map((each) => each.waitUntilReady()),
    callbackWorker.waitUntilReady(),
    cancelSubscription,
    settleWithin(3000, () => pricing.refresher.start()),
  ]);
  // Not current yet (Redis slow to answer): pacing asks Redis until it is.
  void pauseWatch.catch((error: unknown) => logger.warn({ err: error }, 'provider pause channel not watched yet: pacing asks redis'));
  void circuitWatch.catch((error: unknown) => logger.warn({ err: error }, 'circuit changes not watched yet: the breaker asks redis'));
  void warnOnEvictionPolicy(publisher, logger);
  const { workerMetricsPort, workerMetricsHost } = config.operations;
  const health = { redisAnswers: () => redisAnswers(breaker.redis) };
  metrics.setRedisCheck(health.redisAnswers);
  const metricsServer = workerMetricsPort > 0 ? await startMetricsServer(metrics.registry, workerMetricsPort, workerMetricsHost, health) : undefined;
  if (metricsServer) logger.info({ port: listeningPort(metricsServer), host: workerMetricsHost }, 'worker metrics listening');
  const shutdown = createWorkerShutdown({
    worker,
    handBack,
    logger,
    timeoutMs: config.operations.shutdownTimeoutMs,
    onStuck: () => process.exit(1),
    release: async () => {
      // Each step talks to Redis: a Redis that is down gets a second, then the sockets are dropped.
      await settleWithin(
        1000,
        () => callbackWorker.close(),
        () => callbacks.close(),
        () => pricing.refresher.stop(),
      );
      await settleWithin(
        1000,
        () => cancelSubscription.then((unsubscribe) => unsubscribe()),
        () => pauseWatch.then((unsubscribe) => unsubscribe()),
        () => circuitWatch.then((unsubscribe) => unsubscribe()),
      );
      newsSubscriber.disconnect();
      await registry.close();
      await settleWithin(
        1000,
        () => breaker.stats.flush(),
        () => tracing.shutdown(),
      );
      metricsServer?.close();
      metricsServer?.closeAllConnections();
      await settleWithin(
        1000,
        () => publisher.quit(),
        () => streamPublisher.quit(),
        () => workerConnection.quit(),
      );
      publisher.disconnect();
      streamPublisher.disconnect();
      newsSubscriber.disconnect();
      workerConnection.disconnect();
      breaker.redis.disconnect();
    },
  });
  const stop = (signal: string) =>
    void shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'worker stop failed');
        process.exit(1);
      },
    );
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Announced once a signal can stop it gracefully: whoever waits for this line may send one at once (a process
  // preempted between the line and the handlers would otherwise die by the signal's default action).
  logger.info(
    {
      concurrency: Object.fromEntries(lanes.map((lane) => [lane, laneConcurrency(config, lane)])),
      provider: config.llm.provider,
      fallbacks: config.llm.fallbacks,
      prefix: bullmqPrefix,
    },
    'worker started',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
