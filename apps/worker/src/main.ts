import { loadConfigOrExit } from '@gateway/config';
import { createLogger, createMetrics } from '@gateway/observability';
import { bullPrefix, createChatWorker, createRedisConnection, warnOnEvictionPolicy } from '@gateway/queue';
import { createProviderRegistry } from '@gateway/providers';
import { deprecatedProviders } from '@gateway/contracts';
import { createChatProcessor } from './chat-processor';


async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ name: 'worker', level: config.log.level, pretty: config.log.pretty });
  const metrics = createMetrics({ app: 'worker' });
  const prefix = bullPrefix(config);

  for (const provider of new Set([config.llm.provider, ...config.llm.fallbacks])) {
    if (deprecatedProviders.has(provider)) logger.warn({ provider }, 'provider is deprecated: route through openrouter instead');
  }

  const registry = createProviderRegistry(config);
  const publisher = createRedisConnection(config, 'blocking', 'gw-worker-publisher');
  const workerConnection = createRedisConnection(config, 'blocking', 'gw-worker');
  for (const [name, connection] of [['publisher', publisher], ['worker', workerConnection]] as const) {
    connection.on('error', (error: Error) => logger.warn({ err: error, connection: name }, 'redis connection error'));
  }

  const worker = createChatWorker(createChatProcessor({ config, registry, publisher, prefix, logger, metrics }), {
    connection: workerConnection,
    prefix,
    config,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  await worker.waitUntilReady();
  void warnOnEvictionPolicy(publisher, logger);
  logger.info({ concurrency: config.worker.concurrency, provider: config.llm.provider, fallbacks: config.llm.fallbacks, prefix }, 'worker started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping');
    const forced = setTimeout(() => {
      logger.error('worker did not stop in time; exiting');
      process.exit(1);
    }, 30_000);
    forced.unref();
    try {
      // close() waits for active jobs to finish and takes no new ones.
      await worker.close();
      await registry.close();
      publisher.disconnect();
      workerConnection.disconnect();
      logger.info('worker stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'worker stop failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
