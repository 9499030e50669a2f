import { Router } from 'express';
import type { Config } from '@gateway/config';
import { idempotentRequestOf, lastEventIdOf, workIdFor } from '../idempotency';
import { gatewayStreamFormat } from '../stream-formats';
import { replayStream } from '../stream-replay';
import { serveStream, type StreamSessionDeps } from '../stream-session';
import { enqueueChat, parseChat, type ChatRouteDeps } from './chat';

/** What the streaming chat route needs besides the chat route's deps. */
export interface ChatStreamRouteDeps extends ChatRouteDeps, StreamSessionDeps {
  config: Pick<Config, 'llm' | 'http' | 'stream' | 'providers' | 'queue' | 'redis'>;
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
    const idempotent = idempotentRequestOf(req, '/v1/chat/stream');
    const resumeAfter = lastEventIdOf(req);
    // A keyed stream is resumable: its retry (same key) attaches to it instead of paying for the answer again.
    // Read without a second parse: parseChat validates the body (`resumable` a boolean) before anything runs.
    const resumable = (req.body as { resumable?: unknown } | undefined)?.resumable === true || idempotent !== undefined;
    const jobId = workIdFor(req, idempotent);
    const work = { ...(await parseChat(deps, req, res, jobId)), jobId };
    if ('hit' in work.cached) return replayStream(deps, req, res, { jobId, format: gatewayStreamFormat(), result: work.cached.hit });
    await serveStream(deps, req, res, {
      jobId,
      format: gatewayStreamFormat(),
      resumable,
      resumeAfter,
      enqueue: () =>
        enqueueChat(deps, req, work, deps.instanceId, idempotent, {
          stream: true,
          ...(resumable ? { resumable: true, streamFormat: 'gateway' as const } : {}),
        }),
    });
  });

  return router;
}
