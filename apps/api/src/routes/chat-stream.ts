import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Config } from '@gateway/config';
import type { Logger, Metrics } from '@gateway/observability';
import { publishCancel, type RedisClient } from '@gateway/queue';
import { createSseWriter } from '../sse-writer';
import type { StreamHub } from '../stream-hub';
import { createStreamRelay } from '../stream-relay';
import { enqueueChat, type ChatRouteDeps } from './chat';

/** What the streaming chat route needs besides the chat route's deps. */
export interface ChatStreamRouteDeps extends ChatRouteDeps {
  config: Pick<Config, 'llm' | 'http' | 'stream'>;
  streams: StreamHub;
  /** A `command` connection, for cancel messages to the workers. */
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  metrics: Pick<Metrics, 'streams' | 'streamTimeToFirstToken'>;
}

/**
 * `POST /v1/chat/stream`: the same request and job as `/v1/chat`, answered as server-sent events relayed from the
 * worker through this instance's reply channel. Failures before the first byte answer like `/v1/chat` (status
 * and envelope); later ones are a `data: {"error":…}` event that ends the stream. A client that goes away
 * cancels the job (and so the upstream call).
 */
export function chatStreamRoutes(deps: ChatStreamRouteDeps): Router {
  const router = Router();

  router.post('/v1/chat/stream', async (req, res) => {
    const jobId = randomUUID();
    res.locals['jobId'] = jobId;
    res.setHeader('x-job-id', jobId);
    const log = deps.logger.child({ requestId: req.id, jobId });
    const writer = createSseWriter(res, { maxBufferBytes: deps.config.stream.maxBufferBytes });
    const relay = createStreamRelay({
      jobId,
      requestId: req.id,
      writer,
      keepAliveMs: deps.config.stream.keepAliveMs,
      idleTimeoutMs: deps.config.http.chatTimeoutMs,
      startedAt: performance.now(),
      metrics: deps.metrics,
      cancelJob: () => {
        // The worker running it aborts the upstream call; a job no worker has taken yet is dropped.
        publishCancel(deps.redis, deps.prefix, jobId).catch((error: unknown) => log.warn({ err: error }, 'could not publish stream cancel'));
        deps.queue.remove(jobId).catch(() => undefined);
      },
      onFinish: (outcome) => {
        deps.streams.forget(jobId);
        deps.metrics.streams.inc({ outcome });
      },
    });
    // Listen first: no message of the job can then arrive before anyone relays it.
    deps.streams.register(jobId, relay);
    res.once('close', () => {
      if (!res.writableFinished) relay.clientGone();
    });
    try {
      await enqueueChat(deps, req, jobId, deps.instanceId, { stream: true });
    } catch (error) {
      deps.streams.forget(jobId);
      relay.dispose();
      throw error;
    }
    await relay.done;
  });

  return router;
}
