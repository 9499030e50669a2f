import type { Request, Response } from 'express';
import { queueUnavailable, toGatewayError, type StreamEventId } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Logger, Metrics } from '@gateway/observability';
import { publishCancel, type JobQueues, type QueuePrefix, type RedisClient } from '@gateway/queue';
import { createSseWriter } from './sse-writer';
import type { StreamFormat } from './stream-formats';
import type { StreamHub } from './stream-hub';
import { createStreamRelay } from './stream-relay';
import { serveAttachedStream, startResumeGrace, watchStream, type AttachContinuation, type StreamAttachDeps } from './stream-attach';

export interface StreamSessionDeps extends StreamAttachDeps {
  config: Pick<Config, 'http' | 'stream' | 'queue' | 'redis'>;
  queue: JobQueues;
  streams: StreamHub;
  /** A `command` connection, for cancel messages to the workers. */
  redis: RedisClient;
  prefix: QueuePrefix;
  logger: Logger;
  metrics: Pick<Metrics, 'streams' | 'streamTimeToFirstToken' | 'streamAttaches'>;
}

/** One streamed answer: its job id, how its events are worded, and how its job is enqueued. */
export interface StreamSessionOptions {
  jobId: string;
  format: StreamFormat;
  /**
   * Admits and enqueues the job (with `stream: true` and this instance as `reply_to`); throws when refused. Answers
   * 'joined' when an Idempotency-Key named a job that already exists: the stream then attaches to it.
   */
  enqueue: () => Promise<unknown>;
  /** Resumable: a client that goes away starts a grace (STREAM_RESUME_GRACE_MS) instead of cancelling the job. */
  resumable?: boolean;
  /** A duplicate's Last-Event-ID: where its attach starts. */
  resumeAfter?: StreamEventId | undefined;
}

/** Thrown inside the enqueue of a stream whose job already existed (same Idempotency-Key). */
class JoinedExistingJob extends Error {}

/**
 * Serves one job's stream as server-sent events relayed from the worker through this instance's reply channel.
 * Resolves when the stream is over; rejects (with the GatewayError) when it failed before the first byte, so the
 * route's error handler answers with the status and body of its surface. A client that goes away cancels the job;
 * of a resumable stream, only once STREAM_RESUME_GRACE_MS passed without anyone watching it (see stream-attach.ts).
 * A duplicate (same Idempotency-Key) attaches to the existing job's kept stream instead.
 */
export async function serveStream(deps: StreamSessionDeps, req: Request, res: Response, options: StreamSessionOptions): Promise<void> {
  const { jobId } = options;
  const attach = async (watcherToken?: string, continuing?: AttachContinuation) => {
    // The attach takes from the rate bucket of the job's agent (a key's own bucket for a key).
    const agentId = (await deps.queue.getJob(jobId))?.data.agent_id;
    await serveAttachedStream(deps, req, res, {
      jobId,
      format: options.format,
      resumeAfter: options.resumeAfter,
      graceOnLeave: true,
      watcherToken,
      agentId,
      continuing,
    });
  };
  /** A duplicate of a stream this instance relays: the enqueue checks the request (409 for another body), then this client attaches beside the first. */
  const attachBeside = async (watcherToken?: string) => {
    try {
      await options.enqueue();
      await attach(watcherToken);
    } catch (error) {
      // Refused before it began (409, 429, Redis down): this client is gone as far as the job's grace is concerned.
      if (watcherToken !== undefined) startResumeGrace(deps, jobId, watcherToken);
      throw error;
    }
  };
  if (options.resumable && deps.streams.has(jobId)) return attachBeside();
  res.locals['jobId'] = jobId;
  res.setHeader('x-job-id', jobId);
  const log = deps.logger.child({ requestId: req.id, jobId });
  // A resumable stream names its client as the watcher first: its grace then cancels only if nobody came back.
  const token = options.resumable ? await watchStream(deps, jobId) : undefined;
  // Looked at again right before listening: a duplicate that arrived meanwhile would otherwise take the first's
  // place in the hub (and the first would hear nothing more of its job).
  if (options.resumable && deps.streams.has(jobId)) return attachBeside(token);
  const writer = createSseWriter(res, { maxBufferBytes: deps.config.stream.maxBufferBytes });
  const relay = createStreamRelay({
    jobId,
    requestId: req.id,
    writer,
    format: options.format,
    keepAliveMs: deps.config.stream.keepAliveMs,
    enqueuing: true,
    idleTimeoutMs: deps.config.http.chatTimeoutMs,
    startedAt: performance.now(),
    metrics: deps.metrics,
    cancelJob: () => {
      if (token !== undefined) {
        startResumeGrace(deps, jobId, token);
        return;
      }
      // The worker running it aborts the upstream call (and settles its reservation); a job no worker has taken
      // yet is dropped here, and its reservation given back.
      publishCancel(deps.redis, deps.prefix, jobId).catch((error: unknown) => log.warn({ err: error }, 'could not publish stream cancel'));
      void deps.enqueuer.dropUnstarted(jobId);
    },
    onFinish: (outcome, failure) => {
      deps.streams.forget(jobId);
      if (failure?.started)
        log.warn(
          { errorType: failure.error.type, reason: failure.error.message, relayed: failure.relayed, waiting: failure.waiting },
          'stream ended with an error',
        );
      deps.metrics.streams.inc({ outcome });
    },
  });
  // Listens before enqueueing: no message of the job can then arrive before anyone relays it.
  const listening = deps.streams.listen(jobId, relay, async () => {
    if ((await options.enqueue()) === 'joined') throw new JoinedExistingJob();
  });
  res.once('close', () => {
    if (!res.writableFinished) relay.clientGone();
  });
  try {
    await listening;
    relay.enqueued();
  } catch (error) {
    if (error instanceof JoinedExistingJob) return joined(writer.started);
    if (writer.started) {
      // Headers are out: the error handler could only end the response, and the stream would end silently.
      relay.failed(toGatewayError(error, () => queueUnavailable()));
      return relay.done;
    }
    relay.dispose();
    // Refused before it began (409, 429, Redis down): this client watches nothing, or the job its key names (another
    // client's, running) would never be cancelled by that client's grace.
    if (token !== undefined) startResumeGrace(deps, jobId, token);
    throw error;
  }
  await relay.done;

  /**
   * The key's job existed: this client attaches to its kept stream. A stream that began already (the job's
   * messages reached this relay before the enqueue answered) goes on in the same response, after the events its
   * client has; a refusal of the attach then ends it with the error event.
   */
  async function joined(began: boolean): Promise<void> {
    if (!began) {
      relay.dispose();
      try {
        return await attach(token);
      } catch (error) {
        // Refused before it began (429, Redis down): this client is gone as far as the job's grace is concerned.
        if (token !== undefined) startResumeGrace(deps, jobId, token);
        throw error;
      }
    }
    let handedOver = false;
    const continuing: AttachContinuation = {
      writer,
      handOver: () => {
        handedOver = true;
        return relay.handOver();
      },
    };
    try {
      await attach(token, continuing);
    } catch (error) {
      if (handedOver) throw error;
      // The relay still has the response: it ends it with the error event (and its grace starts).
      relay.failed(toGatewayError(error, () => queueUnavailable()));
      await relay.done;
    }
  }
}
