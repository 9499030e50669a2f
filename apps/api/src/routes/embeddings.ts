import { Router } from 'express';
import {
  agentIdSchema,
  embeddingsVectorsLost,
  embeddingsRequestSchema,
  embeddingsResponseAround,
  embeddingsResponseText,
  toEmbeddingsWork,
  toOpenAiErrorBody,
} from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import type { JobQueues, RedisClient } from '@gateway/queue';
import type { EnqueueService } from '../enqueue';
import { headerField } from '../header-fields';
import { idempotentRequestOf, workIdFor } from '../idempotency';
import { errorHandler } from '../middleware/error-handler';
import { jsonBody } from '../middleware/json-body';
import type { ResultWaiter, WaitedResult } from '../result-waiter';
import { parseBody } from '../validation';
import { waitForAnswer } from '../wait-for-answer';

/**
 * A sync answer's `data` list as the worker kept it (its key's bytes). Gone (evicted, or past its retention at its
 * edge): a 503 the caller may retry, never an empty list, and logged (an evicting Redis loses jobs too).
 */
export async function storedDataText(redis: Pick<RedisClient, 'getBuffer'>, key: string, logger: Pick<Logger, 'error'>): Promise<Buffer> {
  const data = await redis.getBuffer(key);
  if (data === null) {
    logger.error({ key }, "a completed embeddings job's vectors were gone before its answer was read (is Redis evicting keys?)");
    throw embeddingsVectorsLost();
  }
  return data;
}

export interface EmbeddingsRouteDeps {
  config: Pick<Config, 'http'>;
  queue: JobQueues;
  /** A `bulk` connection: reads a sync answer's vectors (hundreds of KB) without holding up the small commands of the others. */
  bulkRedis: RedisClient;
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
  const json = jsonBody({ limit: deps.config.http.bodyLimitBytes, maxDepth: deps.config.http.maxJsonDepth });

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
    // The `data` list as text (written and checked by the worker): from the reply, or read from the key the reply
    // names (the vectors crossed Redis once, in the worker's SET), as bytes, never parsed.
    const data =
      answer.embeddings_data ?? (answer.embeddings_stored ? await storedDataText(deps.bulkRedis, answer.embeddings_stored.key, deps.logger) : undefined);
    if (data) {
      // The rest of the answer around it, in three pieces (no copy of the hundreds of KB into one buffer), as one
      // answer of a known length.
      const { before, after } = embeddingsResponseAround(answer);
      res.setHeader('content-length', Buffer.byteLength(before) + data.length + Buffer.byteLength(after));
      res.write(before);
      res.write(data);
      res.end(after);
    } else res.send(embeddingsResponseText(answer));
  });

  router.use(
    ['/v1/embeddings'],
    errorHandler(deps.logger, (error) => toOpenAiErrorBody(error.type, error.message)),
  );
  return router;
}
