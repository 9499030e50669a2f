import type { Server } from 'node:http';
import { ConfigError, cursorAdapterSecretValues, loadCursorAdapterConfig, type CursorAdapterConfig } from '@gateway/config';
import { createLogger } from '@gateway/observability';
import { createAdapterApp } from './server';

function loadOrExit(): CursorAdapterConfig {
  try {
    return loadCursorAdapterConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = loadOrExit();
  const logger = createLogger({ name: 'cursor-adapter', level: config.log.level, pretty: config.log.pretty, secrets: cursorAdapterSecretValues(config) });
  const server: Server = createAdapterApp(config, logger).listen({ port: config.port, host: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : config.port;

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'cursor adapter stopping');
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Announced once a signal can stop it (whoever waits for this line may send one at once).
  logger.info(
    { port, host: config.host, command: config.command, promptVia: config.promptVia, maxConcurrency: config.maxConcurrency },
    'cursor adapter listening',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`cursor adapter failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
