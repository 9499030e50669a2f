import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '@gateway/config';
import { queueUnavailable, type StreamEventId } from '@gateway/contracts';
import type { Logger, Metrics } from '@gateway/observability';
import {
  addStreamWatcher,
  cancelUnwatchedStream,
  createRedisConnection,
  readStreamMessages,
  removeStreamWatcher,
  waitForStreamMessages,
  type ChatQueue,
  type RedisClient,
} from '@gateway/queue';
import type { Admission } from './admission';
import { dropUnstartedJob } from './job-data';
import { lookupJobOutcome } from './job-lookup';
import { createSseWriter } from './sse-writer';
import type { StreamFormat } from './stream-formats';
import { createStreamRelay } from './stream-relay';

export interface StreamAttachDeps {
  config: Pick<Config, 'http' | 'stream' | 'queue' | 'redis'>;
  queue: ChatQueue;
  /** A `command` connection (history, watcher, grace). */
  redis: RedisClient;
  prefix: string;
  logger: Logger;
  metrics: Pick<Metrics, 'streams' | 'streamTimeToFirstToken' | 'streamAttaches'>;
  admission: Admission;
}

/** How long one XREAD waits before it looks again whether its client is still there. */
const TAIL_BLOCK_MS = 5000;

/**
 * The grace of a resumable stream whose client went away: the job runs on for STREAM_RESUME_GRACE_MS; then, when
 * nobody watches its stream (no client attached, none left later), it is cancelled (and dropped if not started).
 * Runs in this process: an API instance that dies meanwhile leaves the job to finish, its result kept.
 */
export function startResumeGrace(
  deps: Pick<StreamAttachDeps, 'config' | 'redis' | 'prefix' | 'queue' | 'admission' | 'logger'>,
  jobId: string,
  token: string,
): void {
  const expire = () =>
    cancelUnwatchedStream(deps.redis, deps.prefix, jobId, deps.config.stream.resumeGraceMs)
      .then(async (cancelled) => {
        if (!cancelled) return;
        deps.logger.info({ jobId, graceMs: deps.config.stream.resumeGraceMs }, 'resumable stream not resumed, job cancelled');
        await dropUnstartedJob(deps.queue, deps.admission, jobId);
      })
      .catch((error: unknown) => deps.logger.warn({ err: error, jobId }, 'could not end a resumable stream grace'));
  // The grace counts from the leave as Redis noted it, so the check at its end finds it a whole grace ago.
  removeStreamWatcher(deps.redis, deps.prefix, jobId, token).then(
    () => setTimeout(expire, deps.config.stream.resumeGraceMs).unref(),
    (error: unknown) => deps.logger.warn({ err: error, jobId }, 'could not note a stream client gone'),
  );
}

/** Adds a client to the stream's watchers (its token): no grace cancels the job while it watches. */
export async function watchStream(deps: Pick<StreamAttachDeps, 'config' | 'redis' | 'prefix'>, jobId: string): Promise<string> {
  const token = randomUUID();
  await addStreamWatcher(deps.redis, deps.prefix, jobId, token, deps.config.queue.retentionSeconds);
  return token;
}

export interface AttachOptions {
  jobId: string;
  format: StreamFormat;
  /** The client's Last-Event-ID: only later events are sent. */
  resumeAfter?: StreamEventId | undefined;
  /** A resumable stream with a live client elsewhere (not an asynchronous job): going away starts a grace. */
  graceOnLeave: boolean;
  /** The client's watcher token when it was added already (a duplicate stream that turned into an attach). */
  watcherToken?: string | undefined;
}

/**
 * Serves a job's kept stream as SSE: every kept message through a relay (which skips what the client had, by
 * event id), then the live rest read with XREAD BLOCK on a connection of its own, until the stream's end or
 * error. No provider is called: the worker keeps appending the messages wherever its first client was. A job
 * whose kept stream is gone but whose result is kept is replayed whole from the result.
 */
export async function serveAttachedStream(deps: StreamAttachDeps, req: Request, res: Response, options: AttachOptions): Promise<void> {
  const { jobId } = options;
  res.locals['jobId'] = jobId;
  res.setHeader('x-job-id', jobId);
  const log = deps.logger.child({ requestId: req.id, jobId });
  deps.metrics.streamAttaches.inc({ from: options.resumeAfter ? 'last_event_id' : 'start' });
  const token = options.graceOnLeave ? (options.watcherToken ?? (await watchStream(deps, jobId))) : undefined;
  const writer = createSseWriter(res, { maxBufferBytes: deps.config.stream.maxBufferBytes });
  writer.start();
  res.flushHeaders();
  let over = false;
  const blocking = createRedisConnection(deps.config, 'blocking', 'gw-api-attach');
  blocking.on('error', (error: Error) => log.debug({ err: error }, 'attach connection error'));
  const relay = createStreamRelay({
    jobId,
    requestId: req.id,
    writer,
    format: options.format,
    keepAliveMs: deps.config.stream.keepAliveMs,
    idleTimeoutMs: deps.config.http.chatTimeoutMs,
    startedAt: performance.now(),
    metrics: deps.metrics,
    resumeAfter: options.resumeAfter,
    cancelJob: () => {
      if (token !== undefined) startResumeGrace(deps, jobId, token);
    },
    onFinish: (outcome) => {
      over = true;
      deps.metrics.streams.inc({ outcome });
      blocking.disconnect();
    },
  });
  res.once('close', () => {
    if (!res.writableFinished) relay.clientGone();
  });
  const tail = async () => {
    const history = await readStreamMessages(deps.redis, deps.prefix, jobId);
    let last = history.at(-1)?.entryId ?? '0-0';
    if (history.length === 0) {
      // Nothing kept: a job not started yet, or one whose stream expired while its result is kept.
      const outcome = await lookupJobOutcome(deps.queue, jobId);
      if (outcome.state !== 'pending') {
        relay.onResubscribed(outcome);
        return;
      }
    }
    for (const kept of history) relay.onMessage(kept.message);
    while (!over) {
      const next = await waitForStreamMessages(blocking, deps.prefix, jobId, last, TAIL_BLOCK_MS);
      for (const kept of next) {
        last = kept.entryId;
        relay.onMessage(kept.message);
      }
    }
  };
  await tail().catch((error: unknown) => {
    if (over) return;
    log.warn({ err: error }, 'could not read a kept stream');
    relay.onResubscribed({ state: 'failed', error: queueUnavailable(error) });
  });
  blocking.disconnect();
  await relay.done.catch(() => undefined);
}
