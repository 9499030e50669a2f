import express, { type Express } from 'express';
import type { Config } from '@gateway/config';
import type { Logger, Metrics } from '@gateway/observability';
import type { ChatQueue, RedisClient } from '@gateway/queue';
import { errorHandler, notFound } from './middleware/error-handler';
import { requestContext } from './middleware/request-context';
import { chatRoutes } from './routes/chat';
import { healthRoutes } from './routes/health';
import type { ResultWaiter } from './result-waiter';

/** Everything the API app is made of, passed in. */
export interface ApiDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** A `command` connection: fails fast while Redis is down. */
  redis: RedisClient;
  queue: ChatQueue;
  waiter: ResultWaiter;
  instanceId: string;
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestContext(deps.logger, deps.metrics));
  app.use(healthRoutes(deps.redis, deps.metrics.registry));
  app.use(express.json({ limit: deps.config.http.bodyLimitBytes, strict: false, type: ['application/json', 'application/*+json'] }));
  app.use(chatRoutes({ config: deps.config, queue: deps.queue, waiter: deps.waiter, instanceId: deps.instanceId }));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
