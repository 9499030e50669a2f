import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '@gateway/config';
import { queueUnavailable, type StreamEventId } from '@gateway/contracts';
import type { Logger, Metrics } from '@gateway/observability';
import {
  addStreamWatcher,
  cancelUnwatchedStream,
  readStreamMessages,
  removeStreamWatcher,
  type JobQueues,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import type { Admission } from './admission';
import { attachCallerOf, type AttachCaps } from './attach-caps';
import { agentIdFor, callerOf, limitSubjectOf } from './caller';
import type { EnqueueService } from './enqueue';
import { lookupJobOutcome } from './job-lookup';
import { createSseWriter, type SseWriter } from './sse-writer';
import type { StreamFormat } from './stream-formats';
import { createStreamRelay } from './stream-relay';
import type { StreamTailReader } from './stream-tail-reader';

export interface StreamAttachDeps {
  config: Pick<Config, 'http' | 'stream' | 'queue' | 'redis'>;
  queue: JobQueues;
  /** A `command` connection (history, watcher, grace). */
  redis: RedisClient;
  prefix: QueuePrefix;
  logger: Logger;
  metrics: Pick<Metrics, 'streams' | 'streamTimeToFirstToken' | 'streamAttaches'>;
  /** An attach takes a token of its caller's rate bucket. */
  admission: Admission;
  /** Drops a job whose stream nobody came back to, if no worker took it yet (its reservation given back). */
  enqueuer: EnqueueService;
  /** This instance's one reader of the kept streams its clients are attached to. */
  tails: StreamTailReader;
  /** Attached clients per caller and per instance (429 past them). */
  attachCaps: AttachCaps;
}

/**
 * The grace of a resumable stream whose client went away: the job runs on for STREAM_RESUME_GRACE_MS; then, when
 * nobody watches its stream (no client attached, none left later), it is cancelled (and dropped if not started).
 * Runs in this process: an API instance that dies meanwhile leaves the job to finish, its result kept.
 */
export function startResumeGrace(deps: Pick<StreamAttachDeps, 'config' | 'redis' | 'prefix' | 'enqueuer' | 'logger'>, jobId: string, token: string): void {
  const expire = () =>
    cancelUnwatchedStream(deps.redis, deps.prefix, jobId, deps.config.stream.resumeGraceMs)
      .then(async (cancelled) => {
        if (!cancelled) return;
        deps.logger.info({ jobId, graceMs: deps.config.stream.resumeGraceMs }, 'resumable stream not resumed, job cancelled');
        await deps.enqueuer.dropUnstarted(jobId);
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
  /** The job's agent_id: the attach takes a token from the bucket the caller's requests for that agent take. */
  agentId: string | undefined;
  /** The response began already, on a relay of its own (a stream whose job turned out to exist): the attach goes on with it. */
  continuing?: AttachContinuation;
}

/**
 * A stream whose headers and first events are out, handed to an attach once the attach is admitted: it goes on
 * with the same writer after the last event its client has, and sends no headers.
 */
export interface AttachContinuation {
  writer: SseWriter;
  /** Stops the stream's first relay: the last event id its client has, or 'over' when that stream ended meanwhile. */
  handOver(): StreamEventId | undefined | 'over';
}

/**
 * Serves a job's kept stream as SSE: every kept message through a relay (which skips what the client had, by
 * event id), then the live rest from the instance's one stream tail reader, until the stream's end or error. No
 * provider is called: the worker keeps appending the messages wherever its first client was. A job whose kept
 * stream is gone but whose result is kept is replayed whole from the result. An attach takes a place under the
 * caller's and the instance's caps for as long as its client stays, and a token of the caller's rate bucket (429).
 */
export async function serveAttachedStream(deps: StreamAttachDeps, req: Request, res: Response, options: AttachOptions): Promise<void> {
  const caller = callerOf(req);
  const release = deps.attachCaps.take(attachCallerOf(caller));
  try {
    await deps.admission.checkRate(limitSubjectOf(caller, agentIdFor(caller, options.agentId)));
    await relayAttachedStream(deps, req, res, options);
  } finally {
    release();
  }
}

async function relayAttachedStream(deps: StreamAttachDeps, req: Request, res: Response, options: AttachOptions): Promise<void> {
  const { jobId, continuing } = options;
  if (!continuing) {
    res.locals['jobId'] = jobId;
    res.setHeader('x-job-id', jobId);
  }
  const log = deps.logger.child({ requestId: req.id, jobId });
  const token = options.graceOnLeave ? (options.watcherToken ?? (await watchStream(deps, jobId))) : undefined;
  let resumeAfter = options.resumeAfter;
  let writer: SseWriter;
  if (continuing) {
    // Headers (x-job-id among them) and the first events are out: this goes on after what the client has.
    const clientHas = continuing.handOver();
    if (clientHas === 'over') return;
    resumeAfter = clientHas ?? resumeAfter;
    writer = continuing.writer;
  } else {
    writer = createSseWriter(res, { maxBufferBytes: deps.config.stream.maxBufferBytes });
    writer.start();
    res.flushHeaders();
  }
  deps.metrics.streamAttaches.inc({ from: options.resumeAfter ? 'last_event_id' : 'start' });
  let over = false;
  let detach: (() => void) | undefined;
  const relay = createStreamRelay({
    jobId,
    requestId: req.id,
    writer,
    format: options.format,
    keepAliveMs: deps.config.stream.keepAliveMs,
    idleTimeoutMs: deps.config.http.chatTimeoutMs,
    startedAt: performance.now(),
    metrics: deps.metrics,
    resumeAfter,
    cancelJob: () => {
      if (token !== undefined) startResumeGrace(deps, jobId, token);
    },
    onFinish: (outcome, failure) => {
      over = true;
      if (failure?.started)
        log.warn(
          { errorType: failure.error.type, reason: failure.error.message, relayed: failure.relayed, waiting: failure.waiting },
          'stream ended with an error',
        );
      deps.metrics.streams.inc({ outcome });
      detach?.();
    },
  });
  res.once('close', () => {
    if (!res.writableFinished) relay.clientGone();
  });
  const tail = async () => {
    const history = await readStreamMessages(deps.redis, deps.prefix, jobId);
    if (history.length === 0) {
      // Nothing kept: a job not started yet, or one whose stream expired while its result is kept.
      const outcome = await lookupJobOutcome(deps.queue, jobId);
      if (outcome.state !== 'pending') {
        relay.onResubscribed(outcome);
        return;
      }
    }
    for (const kept of history) relay.onMessage(kept.message);
    if (over) return;
    // The live rest: everything after the last kept entry read, with every other attached client's in one XREAD.
    detach = deps.tails.attach(jobId, history.at(-1)?.entryId ?? '0-0', {
      onMessages: (kept) => {
        for (const entry of kept) relay.onMessage(entry.message);
      },
      onError: (error) => {
        log.warn({ err: error }, 'could not read a kept stream');
        relay.onResubscribed({ state: 'failed', error: queueUnavailable(error) });
      },
    });
  };
  await tail().catch((error: unknown) => {
    if (over) return;
    log.warn({ err: error }, 'could not read a kept stream');
    relay.onResubscribed({ state: 'failed', error: queueUnavailable(error) });
  });
  await relay.done.catch(() => undefined);
  detach?.();
}
