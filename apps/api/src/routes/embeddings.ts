import express, { Router } from 'express';
import {
  agentIdSchema,
  embeddingsRequestSchema,
  embeddingsResponseAround,
  embeddingsResponseText,
  toEmbeddingsWork,
  toOpenAiErrorBody,
} from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import type { ChatQueue } from '@gateway/queue';
import type { EnqueueService } from '../enqueue';
import { headerField } from '../header-fields';
import { idempotentRequestOf, workIdFor } from '../idempotency';
import { errorHandler } from '../middleware/error-handler';
import type { ResultWaiter, WaitedResult } from '../result-waiter';
import { parseBody } from '../validation';
import { waitForAnswer } from '../wait-for-answer';

export interface EmbeddingsRouteDeps {
  config: Pick<Config, 'http'>;
  queue: ChatQueue;
  waiter: ResultWaiter;
  instanceId: string;
  enqueuer: EnqueueService;
  logger: Logger;
}

/**
 * `POST /v1/embeddings` in OpenAI's shape: one job of the interactive lane, through the same enqueue as chat (keys,
 * allowed models, rate limits, budgets estimated from the inputs), answered with OpenAI's list of vectors in input
 * order. Errors take OpenAI's shape, so the openai SDK raises its own typed errors.
 */
export function embeddingsRoutes(deps: EmbeddingsRouteDeps): Router {
  const router = Router();
  const json = express.json({ limit: deps.config.http.bodyLimitBytes, strict: false, type: ['application/json', 'application/*+json'] });

  router.post('/v1/embeddings', json, async (req, res) => {
    const body = toEmbeddingsWork(parseBody(embeddingsRequestSchema, req.body), headerField(req, 'X-Agent-Id', agentIdSchema));
    const idempotent = idempotentRequestOf(req, '/v1/embeddings');
    const jobId = workIdFor(req, idempotent);
    res.locals['jobId'] = jobId;
    const cached = await deps.enqueuer.cacheLookup(req, res, body, jobId);
    const answer: WaitedResult =
      'hit' in cached
        ? cached.hit
        : await waitForAnswer(deps, jobId, deps.config.http.chatTimeoutMs, () =>
            deps.enqueuer.enqueue({ req, body, jobId, extras: { replyTo: deps.instanceId, requestHash: idempotent?.requestHash, responseCache: cached.fill } }),
          );
    res.locals['provider'] = answer.provider;
    res.locals['model'] = answer.model;
    res.setHeader('x-job-id', jobId);
    res.type('application/json');
    if (answer.embeddings_data) {
      // The reply's `data` text as it came (written and checked by the worker), the rest of the answer around it.
      // Written in three pieces (no copy of the hundreds of KB into one buffer), as one answer of a known length.
      const { before, after } = embeddingsResponseAround(answer);
      res.setHeader('content-length', Buffer.byteLength(before) + answer.embeddings_data.length + Buffer.byteLength(after));
      res.write(before);
      res.write(answer.embeddings_data);
      res.end(after);
    } else res.send(embeddingsResponseText(answer));
  });

  router.use(
    ['/v1/embeddings'],
    errorHandler(deps.logger, (error) => toOpenAiErrorBody(error.type, error.message)),
  );
  return router;
}
