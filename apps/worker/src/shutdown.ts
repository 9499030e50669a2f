import type { Worker } from 'bullmq';
import type { Logger } from '@gateway/observability';
import type { HandBack } from './hand-back';

const stuckGraceMs = 10_000;

/** What the worker's graceful shutdown needs. */
export interface WorkerShutdownOptions {
  /** The chat consumers (the main one and the interactive reserve), as one. */
  worker: Pick<Worker, 'cancelAllJobs' | 'close'>;
  handBack: HandBack;
  logger: Logger;
  /** How long active jobs may run on before they are handed back to the queue. */
  timeoutMs: number;
  /** Called when stopping takes 10 s past the bound (e.g. Redis is unreachable and a close never returns). */
  onStuck: () => void;
  /** Closes the provider pools, the metrics server and Redis connections, after the worker is closed. */
  release: () => Promise<void>;
}

/**
 * SIGTERM: take no new jobs, let the active ones finish within timeoutMs; past it, abort them and hand them
 * back to the queue (another worker runs them), then release connections and resolve. No job is lost, and
 * none that finished here runs again.
 */
export function createWorkerShutdown(options: WorkerShutdownOptions): (signal: string) => Promise<void> {
  const { worker, handBack, logger } = options;
  let running: Promise<void> | undefined;
  const run = async (signal: string) => {
    logger.info({ signal, timeoutMs: options.timeoutMs }, 'worker stopping');
    setTimeout(() => {
      logger.error('worker did not stop in time; exiting');
      options.onStuck();
    }, options.timeoutMs + stuckGraceMs).unref();
    const timer = setTimeout(() => {
      logger.warn('worker shutdown bound reached; handing active jobs back to the queue');
      handBack.start();
      worker.cancelAllJobs('worker shutting down');
    }, options.timeoutMs);
    try {
      // close() stops fetching and waits for the active jobs (finished, or handed back after the bound).
      await worker.close();
    } finally {
      clearTimeout(timer);
    }
    await options.release();
    logger.info('worker stopped');
  };
  return (signal: string) => {
    running ??= run(signal);
    return running;
  };
}
