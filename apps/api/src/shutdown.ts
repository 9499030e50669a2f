import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { shuttingDown } from '@gateway/contracts';
import type { Logger } from '@gateway/observability';
import type { ResultWaiter } from './result-waiter';

const stuckGraceMs = 10_000;

/** Whether the API is draining; shared by the shutdown and the middleware below. */
export interface Lifecycle {
  stopping: boolean;
}

/** While draining, every response asks its client to close the connection, so keep-alive clients move on. */
export function closeConnectionsWhenStopping(lifecycle: Lifecycle) {
  return (_req: Request, res: Response, next: NextFunction) => {
    if (lifecycle.stopping) res.setHeader('connection', 'close');
    next();
  };
}

export interface ApiShutdownOptions {
  server: Server;
  lifecycle: Lifecycle;
  waiter: ResultWaiter;
  logger: Logger;
  /** How long in-flight requests and streams may take before they are cut. */
  timeoutMs: number;
  /** Called when stopping takes 10 s past the bound (e.g. Redis is unreachable and a close never returns). */
  onStuck: () => void;
  /** Closes Redis connections and the like, after the HTTP side is done. */
  release: () => Promise<void>;
}

/**
 * SIGTERM: stop accepting connections, let in-flight requests and streams finish within timeoutMs, then
 * answer whatever still waits with 503 (the client retries elsewhere), release Redis and resolve.
 */
export function createApiShutdown(options: ApiShutdownOptions): (signal: string) => Promise<void> {
  const { server, lifecycle, waiter, logger } = options;
  let running: Promise<void> | undefined;
  const run = async (signal: string) => {
    lifecycle.stopping = true;
    logger.info({ signal, inFlight: waiter.size(), timeoutMs: options.timeoutMs }, 'api stopping');
    setTimeout(() => {
      logger.error('api did not stop in time; exiting');
      options.onStuck();
    }, options.timeoutMs + stuckGraceMs).unref();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections whose last response was already under way when draining began stay open
    // after it: close each one as soon as it is idle.
    server.closeIdleConnections();
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
    });
    const first = await Promise.race([drained.then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    clearInterval(sweeper);
    if (first === 'timeout') {
      logger.warn({ inFlight: waiter.size() }, 'api shutdown bound reached; answering the rest with 503');
      waiter.rejectAll(shuttingDown());
      // Give the 503s (and stream endings) a moment to be written, then cut what is left.
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000))]);
      server.closeAllConnections();
    }
    await options.release();
    logger.info('api stopped');
  };
  return (signal: string) => {
    running ??= run(signal);
    return running;
  };
}
