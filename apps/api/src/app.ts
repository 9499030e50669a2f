import express, { type Express } from 'express';
import type { Config } from '@gateway/config';
import { createSpendReader, type Budget, type RequestLog } from '@gateway/limits';
import type { Logger, Metrics, Tracing } from '@gateway/observability';
import { bullBoardPath, bullBoardRouter } from './admin/bull-board';
import { loadConsoleAssets } from './admin/console-assets';
import { consolePublicRoutes, consoleSessionRoutes } from './admin/console-routes';
import { createConsoleSessions } from './admin/console-sessions';
import { lanesRoutes } from './admin/lanes-routes';
import { adminProviderRoutes } from './admin/provider-routes';
import { spendRoutes } from './admin/spend-routes';
import { authenticate, operatorTokenHash } from './middleware/auth';
import type { KeyCache } from './keys/key-cache';
import { keyRoutes } from './keys/key-routes';
import type { KeyStore } from './keys/key-store';
import { noSniff, refuseForeignOrigins, refusePreflightFreeBodies } from './middleware/browser-guards';
import { cors } from './middleware/cors';
import { checkHost } from './middleware/host-check';
import { limitsPrefix, type CallbackQueue, type LaneQueues, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { createProviderErrorLog } from '@gateway/resilience';
import type { Admission } from './admission';
import type { EnqueueService, ResponseCache } from './enqueue';
import { errorHandler, notFound } from './middleware/error-handler';
import { toOpenAiErrorBody } from '@gateway/contracts';
import { toResponsesErrorBody } from './dialects/responses/responses-wire';
import { jsonBody } from './middleware/json-body';
import { requestContext } from './middleware/request-context';
import { traceRequests } from './middleware/trace-requests';
import { requestLogRoutes } from './admin/request-log-routes';
import { responseCacheRoutes } from './admin/response-cache-routes';
import { onlyUnder } from './middleware/route-prefix';
import { chatRoutes } from './routes/chat';
import { chatStreamRoutes } from './routes/chat-stream';
import { healthRoutes } from './routes/health';
import { createProvidersReader, providerRoutes } from './routes/providers';
import { batchRoutes } from './routes/batches';
import { fileRoutes } from './routes/files';
import { messageBatchRoutes } from './routes/message-batches';
import { jobRoutes } from './routes/jobs';
import { embeddingsRoutes } from './routes/embeddings';
import { openAiRoutes } from './routes/openai';
import { responsesRoutes } from './routes/responses';
import { messagesErrorHandler, messagesPaths, messagesRoutes } from './routes/messages';
import { usageRoutes } from './routes/usage';
import type { ResultWaiter } from './result-waiter';
import { closeConnectionsWhenStopping, type Lifecycle } from './shutdown';
import type { StreamHub } from './stream-hub';
import type { AttachCaps } from './attach-caps';
import type { StreamTailReader } from './stream-tail-reader';

/** Everything the API app is made of, passed in. */
export interface ApiDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** A `command` connection: fails fast while Redis is down. */
  redis: RedisClient;
  /** The lanes' queues (`chat`, `chat-job`, `chat-batch`) on the `command` connection; a job is read in the one its id names. */
  queue: LaneQueues;
  waiter: ResultWaiter;
  instanceId: string;
  /** Set while the API drains on shutdown. */
  lifecycle?: Lifecycle;
  /** Deliveries of job outcomes to callback URLs. */
  callbacks: CallbackQueue;
  /** The BullMQ key prefix (hash-tagged on a cluster). */
  prefix: QueuePrefix;
  /** A `bulk` connection and the lanes' queues on it, for batches (one long MULTI or pipeline each). */
  bulkRedis: RedisClient;
  bulkQueue: LaneQueues;
  /** Streams relayed by this instance. */
  streams: StreamHub;
  /** Rate limits and budget reservations (batches, stream attaches, cancels). */
  admission: Admission;
  /** The one way a chat job enters the queue, for every route. */
  enqueuer: EnqueueService;
  budget: Budget;
  /** API keys: the store (Redis) and this instance's cache of them. */
  keys: { store: KeyStore; cache: KeyCache };
  /** The one reader of every kept stream this instance's clients are attached to. */
  tails: StreamTailReader;
  /** Attached clients per caller and per instance. */
  attachCaps: AttachCaps;
  /** Traces (off when absent or disabled: no span, no header). */
  tracing?: Tracing;
  /** The response cache, emptied at DELETE /admin/cache (none: no such route). */
  responseCache?: ResponseCache;
  /** The request log, read at /admin/requests. */
  requestLog?: RequestLog;
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // No ETag: answers to POSTs and job polls are not cached, and hashing every body cost ~1.5 % of the API's CPU.
  app.set('etag', false);
  app.use(requestContext(deps.logger, deps.metrics));
  if (deps.tracing?.enabled) app.use(traceRequests(deps.tracing));
  app.use(noSniff);
  app.use(checkHost(deps.config.http.allowedHosts));
  if (deps.lifecycle) app.use(closeConnectionsWhenStopping(deps.lifecycle));
  app.use(cors(deps.config.http.corsAllowedOrigins));
  // After CORS (its preflights are answered there), before any route: browsers' cross-site writes stop here.
  app.use(refuseForeignOrigins(deps.config.http.corsAllowedOrigins));
  app.use(refusePreflightFreeBodies);
  // Routers before the chat routes are entered only under their own paths (a chat call passes each in one check).
  app.use(onlyUnder(['/healthz', '/livez', '/metrics'], healthRoutes(deps.redis, deps.metrics.registry)));
  const { authToken, adminToken } = deps.config.http;
  // The console's page, its files and its login need no credential (they hold no data); every API it calls does.
  const sessions = createConsoleSessions({ redis: deps.redis, prefix: limitsPrefix(deps.config), ttlSeconds: deps.config.http.adminSessionTtlSeconds });
  const operatorHash = operatorTokenHash({ token: authToken, adminToken });
  app.use(
    onlyUnder(
      ['/admin'],
      consolePublicRoutes({ assets: loadConsoleAssets(), sessions, operatorHash, logger: deps.logger, maxJsonDepth: deps.config.http.maxJsonDepth }),
    ),
  );
  // Authentication before every router under these prefixes, so routes added later are covered too.
  app.use('/v1', authenticate({ token: authToken, adminToken, keys: deps.keys.cache, scope: 'v1' }));
  app.use('/admin', authenticate({ token: authToken, adminToken, keys: deps.keys.cache, scope: 'admin', sessions }), (_req, res, next) => {
    // The operator pages are never framed by another page (clickjacking).
    res.setHeader('content-security-policy', "frame-ancestors 'none'");
    res.setHeader('x-frame-options', 'DENY');
    next();
  });
  app.use(onlyUnder(['/admin/session', '/admin/logout'], consoleSessionRoutes({ sessions, operatorHash })));
  const spend = createSpendReader({ redis: deps.redis, prefix: limitsPrefix(deps.config) });
  app.use(
    onlyUnder(
      ['/admin/keys'],
      keyRoutes({
        store: deps.keys.store,
        cache: deps.keys.cache,
        budget: deps.budget,
        spend,
        logger: deps.logger,
        maxJsonDepth: deps.config.http.maxJsonDepth,
      }),
    ),
  );
  app.use(onlyUnder(['/admin/spend'], spendRoutes({ spend, keys: deps.keys.store })));
  app.use(onlyUnder(['/admin/lanes'], lanesRoutes({ redis: deps.redis, queue: deps.queue, callbacks: deps.callbacks })));
  const providers = createProvidersReader({ config: deps.config, redis: deps.redis, metrics: deps.metrics });
  app.use(onlyUnder(['/admin/providers'], adminProviderRoutes({ providers, errors: createProviderErrorLog(deps.redis, deps.prefix) })));
  if (deps.responseCache) app.use(onlyUnder(['/admin/cache'], responseCacheRoutes(deps.responseCache)));
  if (deps.requestLog) app.use(onlyUnder(['/admin/requests'], requestLogRoutes(deps.requestLog)));
  app.use(bullBoardPath, bullBoardRouter([...deps.queue.all, deps.callbacks], deps.config.http.bullBoardReadOnly));
  // These parse their own bodies (batches and files are larger; OpenAI routes answer parse errors in OpenAI's shape).
  app.use(
    onlyUnder(
      ['/v1/batches'],
      batchRoutes({
        config: deps.config,
        queue: deps.bulkQueue,
        redis: deps.bulkRedis,
        prefix: deps.prefix,
        logger: deps.logger,
        admission: deps.admission,
        callbacks: deps.callbacks,
      }),
    ),
  );
  app.use(
    onlyUnder(['/v1/files'], fileRoutes({ config: deps.config, queue: deps.bulkQueue, redis: deps.bulkRedis, prefix: deps.prefix, logger: deps.logger })),
  );
  // Anthropic's Message Batches: the same engine, before the Messages routes (which answer 404 for other paths under them).
  app.use(
    onlyUnder(
      ['/v1/messages/batches'],
      messageBatchRoutes({
        config: deps.config,
        queue: deps.bulkQueue,
        redis: deps.bulkRedis,
        prefix: deps.prefix,
        logger: deps.logger,
        admission: deps.admission,
        callbacks: deps.callbacks,
      }),
    ),
  );
  app.use(onlyUnder(['/v1/chat/completions', '/v1/models'], openAiRoutes(deps)));
  app.use(onlyUnder(['/v1/responses'], responsesRoutes(deps)));
  app.use(onlyUnder(['/v1/embeddings'], embeddingsRoutes(deps)));
  app.use(onlyUnder(messagesPaths, messagesRoutes(deps)));
  app.use(jsonBody({ limit: deps.config.http.bodyLimitBytes, maxDepth: deps.config.http.maxJsonDepth }));
  app.use(chatRoutes({ config: deps.config, queue: deps.queue, waiter: deps.waiter, instanceId: deps.instanceId, enqueuer: deps.enqueuer }));
  app.use('/v1', providerRoutes(providers));
  app.use(
    jobRoutes({
      config: deps.config,
      queue: deps.queue,
      callbacks: deps.callbacks,
      redis: deps.redis,
      prefix: deps.prefix,
      admission: deps.admission,
      enqueuer: deps.enqueuer,
      logger: deps.logger,
      metrics: deps.metrics,
      tails: deps.tails,
      attachCaps: deps.attachCaps,
    }),
  );
  app.use(chatStreamRoutes(deps));
  app.use(usageRoutes(deps.budget));
  app.use(notFound);
  // Failures before the OpenAI-shaped routes' own handlers (authentication, a foreign origin, a body without its
  // media type) in OpenAI's shape, as the SDKs read it; the Messages routes' in Anthropic's.
  app.use(
    ['/v1/chat/completions', '/v1/models', '/v1/embeddings', '/v1/files'],
    errorHandler(deps.logger, (error) => toOpenAiErrorBody(error.type, error.message)),
  );
  app.use(
    '/v1/responses',
    errorHandler(deps.logger, (error) => toResponsesErrorBody(error.type, error.message)),
  );
  app.use(messagesPaths, messagesErrorHandler(deps.logger));
  app.use(errorHandler(deps.logger));
  return app;
}
