import type { Request, Response } from 'express';
import type { Config } from '@gateway/config';
import type { Logger, Metrics } from '@gateway/observability';
import { publishCancel, type ChatQueue, type RedisClient } from '@gateway/queue';
import { dropUnstartedJob } from './job-data';
import type { Admission } from './admission';
import { createSseWriter } from './sse-writer';
import type { StreamFormat } from './stream-formats';
import type { StreamHub } from './stream-hub';
import { createStreamRelay } from './stream-relay';

/** What a streamed answer needs. */
export interface StreamSessionDeps {
  config: Pick<Config, 'http' | 'stream'>;
  queue: ChatQueue;
  streams: StreamHub;
  /** A `command` connection, for cancel messages to the workers. */
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  metrics: Pick<Metrics, 'streams' | 'streamTimeToFirstToken'>;
  /** Gives back the budget reservation of a job removed before any worker took it. */
  admission: Admission;
}

/** One streamed answer: its job id, how its events are worded, and how its job is enqueued. */
export interface StreamSessionOptions {
  jobId: string;
  format: StreamFormat;
  /** Admits and enqueues the job (with `stream: true` and this instance as `reply_to`); throws when refused. */
  enqueue: () => Promise<unknown>;
}

/**
 * Serves one job's stream as server-sent events relayed from the worker through this instance's reply channel.
 * Resolves when the stream is over; rejects (with the GatewayError) when it failed before the first byte, so the
 * route's error handler answers with the status and body of its surface. A client that goes away cancels the job.
 */
export async function serveStream(deps: StreamSessionDeps, req: Request, res: Response, options: StreamSessionOptions): Promise<void> {
  const { jobId } = options;
  res.locals['jobId'] = jobId;
  res.setHeader('x-job-id', jobId);
  const log = deps.logger.child({ requestId: req.id, jobId });
  const writer = createSseWriter(res, { maxBufferBytes: deps.config.stream.maxBufferBytes });
  const relay = createStreamRelay({
    jobId,
    requestId: req.id,
    writer,
    format: options.format,
    keepAliveMs: deps.config.stream.keepAliveMs,
    idleTimeoutMs: deps.config.http.chatTimeoutMs,
    startedAt: performance.now(),
    metrics: deps.metrics,
    cancelJob: () => {
      // The worker running it aborts the upstream call (and settles its reservation); a job no worker has taken
      // yet is dropped here, and its reservation given back.
      publishCancel(deps.redis, deps.prefix, jobId).catch((error: unknown) => log.warn({ err: error }, 'could not publish stream cancel'));
      void dropUnstartedJob(deps.queue, deps.admission, jobId);
    },
    onFinish: (outcome) => {
      deps.streams.forget(jobId);
      deps.metrics.streams.inc({ outcome });
    },
  });
  // Listens before enqueueing: no message of the job can then arrive before anyone relays it.
  const listening = deps.streams.listen(jobId, relay, options.enqueue);
  res.once('close', () => {
    if (!res.writableFinished) relay.clientGone();
  });
  try {
    await listening;
  } catch (error) {
    relay.dispose();
    throw error;
  }
  await relay.done;
}
