import { Router } from 'express';
import type { Config } from '@gateway/config';
import { newGatewayId } from '@gateway/queue';
import { gatewayStreamFormat } from '../stream-formats';
import { serveStream, type StreamSessionDeps } from '../stream-session';
import { enqueueChat, type ChatRouteDeps } from './chat';

/** What the streaming chat route needs besides the chat route's deps. */
export interface ChatStreamRouteDeps extends ChatRouteDeps, StreamSessionDeps {
  config: Pick<Config, 'llm' | 'http' | 'stream' | 'providers'>;
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
    const jobId = newGatewayId();
    await serveStream(deps, req, res, {
      jobId,
      format: gatewayStreamFormat(),
      enqueue: () => enqueueChat(deps, req, jobId, deps.instanceId, { stream: true }),
    });
  });

  return router;
}
