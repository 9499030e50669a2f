import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { loadConfigOrExit, secretValues } from '@gateway/config';
import { providerConfigurationProblems, providerSecretValues } from '@gateway/providers';
import { createLogger, createMetrics, startTracing } from '@gateway/observability';
import {
  bullPrefix,
  canGateAdds,
  createCallbackQueue,
  createLaneQueues,
  createRedisConnection,
  limitsPrefix,
  settleWithin,
  subscribeReplies,
  waitForReady,
  warnOnEvictionPolicy,
} from '@gateway/queue';
import { createBudgetFromConfig, createPricingFromConfig, createRateLimiter, createRequestLogFromConfig, createResponseCacheStore } from '@gateway/limits';
import { createAdmission } from './admission';
import { createApp } from './app';
import { createAttachCaps } from './attach-caps';
import { createEnqueueService, createResponseCache } from './enqueue';
import { createKeyCache } from './keys/key-cache';
import { createKeyStore } from './keys/key-store';
import { lookupJobOutcome } from './job-lookup';
import { reportOpsMetrics } from './ops-metrics';
import { createResultWaiter } from './result-waiter';
import { createApiShutdown, type Lifecycle } from './shutdown';
import { createStreamHub } from './stream-hub';
import { createStreamTailReader } from './stream-tail-reader';
import { answerClientError } from './client-errors';

/** Whether a listen address reaches this machine only. */
const loopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env, [providerConfigurationProblems]);
  if (!config.http.authToken && !config.http.adminToken && !loopback(config.http.host)) {
    process.stderr.write(
      `api refuses to listen on ${config.http.host} without authentication: set GATEWAY_AUTH_TOKEN or GATEWAY_ADMIN_TOKEN (or GATEWAY_HOST=127.0.0.1)\n`,
    );
    process.exit(1);
  }
  const logger = createLogger({
    name: 'api',
    level: config.log.level,
    pretty: config.log.pretty,
    flushIntervalMs: config.log.flushIntervalMs,
    secrets: [...secretValues(config), ...providerSecretValues(config)],
  });
  const metrics = createMetrics({ app: 'api' });
  // Two prefixes from QUEUE_PREFIX: BullMQ's (hash-tagged on a cluster, so a queue's keys share a slot) and the
  // plain one the limits, pacing and key store build their own hash tags under.
  const bullmqPrefix = bullPrefix(config);
  const plainPrefix = limitsPrefix(config);
  const instanceId = randomUUID();

  const redis = createRedisConnection(config, 'command', 'gw-api');
  const subscriber = createRedisConnection(config, 'blocking', 'gw-api-replies');
  for (const [name, connection] of [
    ['command', redis],
    ['subscriber', subscriber],
  ] as const) {
    connection.on('error', (error: Error) => logger.warn({ err: error, connection: name }, 'redis connection error'));
  }
  const pricing = createPricingFromConfig(redis, config, { instanceId, logger });
  const budget = createBudgetFromConfig(redis, config);
  const rateLimiter = createRateLimiter({
    redis,
    prefix: plainPrefix,
    ratePerSecond: config.limits.rateRps,
    burst: config.limits.rateBurst,
    caller: { ratePerSecond: config.limits.callerRateRps, burst: config.limits.callerRateBurst },
  });
  // One BullMQ queue per lane (`chat`, `chat-job`, `chat-batch`), all under the same prefix (one slot on a cluster).
  const queue = createLaneQueues(redis, bullmqPrefix, config);
  const gatedAdds = canGateAdds(queue.lanes.interactive);
  if (!gatedAdds) logger.warn('this BullMQ cannot run its add inside the admission script: admission and enqueue take two round trips');
  const admission = createAdmission({ config, redis, rateLimiter, budget, pricing: pricing.book, metrics, gatedAdds });
  // Every route's one way into the queue (its fused or two-step admission chosen here, once).
  const requestLog = createRequestLogFromConfig(redis, config);
  const responseCache = createResponseCache({
    config,
    store: createResponseCacheStore({ redis, prefix: plainPrefix, quotaBytes: config.responseCache.keyQuotaBytes }),
    queue,
    admission,
    metrics,
    recordHit: (keyId, result) => budget.recordCacheHit(keyId, { tokens: result.usage.total_tokens, costUsd: result.cost_usd }),
    requestLog: { log: requestLog, logger },
  });
  const enqueuer = createEnqueueService({ config, queues: queue, admission, redis, refusals: { log: requestLog, logger }, responseCache });
  const tracing = await startTracing(config, { name: 'gateway-api', instanceId });
  for (const each of queue.all) each.on('error', (error) => logger.warn({ err: error }, 'queue error'));
  const bulkRedis = createRedisConnection(config, 'bulk', 'gw-api-bulk');
  bulkRedis.on('error', (error: Error) => logger.warn({ err: error, connection: 'bulk' }, 'redis connection error'));
  const bulkQueue = createLaneQueues(bulkRedis, bullmqPrefix, config);
  for (const each of bulkQueue.all) each.on('error', (error) => logger.warn({ err: error }, 'queue error'));
  const callbacks = createCallbackQueue(redis, bullmqPrefix, config);
  callbacks.on('error', (error) => logger.warn({ err: error }, 'callback queue error'));

  const waiter = createResultWaiter({
    lookup: (jobId) => lookupJobOutcome(queue, jobId),
    onTimeout: (jobId) => {
      // A caller that gave up does not want the job run later: drop it if no worker has taken it (and free its reservation).
      void enqueuer.dropUnstarted(jobId);
    },
  });
  const streams = createStreamHub({ lookup: (jobId) => lookupJobOutcome(queue, jobId) });
  // Not awaited: while Redis is down the API still listens (and answers 503); the subscription completes when Redis is back.
  const subscription = subscribeReplies({
    subscriber,
    prefix: bullmqPrefix,
    instanceId,
    onMessage: (message, embeddingsData) => {
      if (!streams.deliver(message)) waiter.deliver(message, embeddingsData);
    },
    onInvalid: (error) => logger.warn({ err: error }, 'invalid reply message'),
    onSubscribed: () => {
      logger.debug('reply channel subscribed');
      void waiter.sweep();
      void streams.sweep();
    },
  });
  subscription.catch((error: unknown) => logger.error({ err: error }, 'reply channel subscription failed'));
  void warnOnEvictionPolicy(redis, logger);

  // Every client attached to a kept stream (GET /v1/jobs/:id/stream, a duplicate stream) is read through one
  // blocking connection of this instance, opened at the first attach.
  const tails = createStreamTailReader({
    connect: () => createRedisConnection(config, 'blocking', 'gw-api-attach'),
    redis,
    prefix: bullmqPrefix,
    instanceId,
    logger,
  });
  const attachCaps = createAttachCaps({
    perCaller: config.stream.attachMaxPerCaller,
    perInstance: config.stream.attachMaxPerInstance,
    onRefused: () => metrics.rateLimitRejections.inc({ limit: 'stream_attaches' }),
    onChange: (taken) => metrics.streamAttachesActive.set(taken),
  });

  const lifecycle: Lifecycle = { stopping: false };
  reportOpsMetrics({ config, redis, queue, budget, metrics });
  const keyStore = createKeyStore(redis, plainPrefix);
  const keys = { store: keyStore, cache: createKeyCache(keyStore) };
  const app = createApp({
    config,
    logger,
    metrics,
    redis,
    queue,
    waiter,
    instanceId,
    lifecycle,
    callbacks,
    prefix: bullmqPrefix,
    bulkRedis,
    bulkQueue,
    streams,
    admission,
    enqueuer,
    budget,
    keys,
    tails,
    attachCaps,
    tracing,
    requestLog,
    ...(responseCache.enabled ? { responseCache } : {}),
  });
  // A fresh API should not answer 503 while its fail-fast connections are still connecting, nor take calls before its
  // reply channel listens; a Redis that is down only delays start-up by this bound.
  await Promise.all([waitForReady(redis, 2000), waitForReady(bulkRedis, 2000), settleWithin(2000, () => subscription)]).catch(() => undefined);
  // The shared OpenRouter prices before the first call (bounded: without them the other sources price).
  await settleWithin(3000, () => pricing.refresher.start());
  const server: Server = createServer(
    {
      headersTimeout: config.http.headersTimeoutMs,
      // Only until the request has arrived: a long SSE answer is never cut by it (api-connection-limits.e2e.spec.ts).
      requestTimeout: config.http.requestTimeoutMs,
      // How often both are checked (Node's default, 30 s, would let a slow client hold its connection that much longer).
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(config.http.headersTimeoutMs / 10))),
    },
    app,
  );
  server.on('clientError', answerClientError);
  server.maxConnections = config.http.maxConnections;
  server.keepAliveTimeout = 65_000;
  server.listen({ port: config.http.port, host: config.http.host, backlog: 4096 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : config.http.port;
  const shutdown = createApiShutdown({
    server,
    lifecycle,
    waiter,
    logger,
    timeoutMs: config.operations.shutdownTimeoutMs,
    onStuck: () => process.exit(1),
    release: async () => {
      // Each step talks to Redis: a Redis that is down gets a second, then the sockets are dropped.
      await settleWithin(
        1000,
        () => subscription.then((unsubscribe) => unsubscribe()),
        () => pricing.refresher.stop(),
        () => tracing.shutdown(),
      );
      await settleWithin(
        1000,
        () => queue.close(),
        () => callbacks.close(),
        () => bulkQueue.close(),
      );
      bulkRedis.disconnect();
      tails.close();
      // QUIT lets pending replies arrive.
      await settleWithin(
        1000,
        () => subscriber.quit(),
        () => redis.quit(),
      );
      subscriber.disconnect();
      redis.disconnect();
    },
  });
  const stop = (signal: string) =>
    void shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'api stop failed');
        process.exit(1);
      },
    );
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Announced once a signal can stop it gracefully: whoever waits for this line may send one at once (a process
  // preempted between the line and the handlers would otherwise die by the signal's default action).
  logger.info({ port, host: config.http.host, instanceId, provider: config.llm.provider, prefix: bullmqPrefix }, 'api listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
