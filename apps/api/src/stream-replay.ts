import type { Request, Response } from 'express';
import type { ChatJobResult } from '@gateway/contracts';
import { createSseWriter } from './sse-writer';
import type { StreamFormat } from './stream-formats';
import { createStreamRelay } from './stream-relay';
import type { StreamSessionDeps } from './stream-session';

/**
 * Serves a finished answer (a response-cache hit) as a stream, through the same relay and format as a live one: the
 * route's own events (its text, tool calls, closing events and terminator) with the usual `id:` lines, no job.
 */
export async function replayStream(
  deps: Pick<StreamSessionDeps, 'config' | 'metrics'>,
  req: Request,
  res: Response,
  options: { jobId: string; format: StreamFormat; result: ChatJobResult },
): Promise<void> {
  const { jobId } = options;
  res.locals['jobId'] = jobId;
  res.setHeader('x-job-id', jobId);
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
    cancelJob: () => undefined,
    onFinish: (outcome) => deps.metrics.streams.inc({ outcome }),
  });
  res.once('close', () => {
    if (!res.writableFinished) relay.clientGone();
  });
  relay.onMessage({ kind: 'result', job_id: jobId, result: options.result });
  await relay.done;
}
