import { Router } from 'express';
import { agentIdSchema, chatRequestSchema, routeNotFound } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import { estimatePromptTokens } from '@gateway/limits';
import type { Logger } from '@gateway/observability';
import { headerField } from '../header-fields';
import { idempotentRequestOf, workIdFor } from '../idempotency';
import { answerDialectJob, streamDialectJob, type DialectJobDeps } from '../dialect-job';
import { errorHandler } from '../middleware/error-handler';
import { jsonBody } from '../middleware/json-body';
import { countTokensRequestSchema, messagesRequestSchema } from '../dialects/messages/messages-wire';
import { messagesErrorStatus, toMessagesErrorBody } from '../dialects/messages/messages-errors';
import { toMessage } from '../dialects/messages/from-chat-result';
import { messagesStreamFormat } from '../dialects/messages/stream-events';
import { toChatMessages, toChatRequest, toFunctionTools } from '../dialects/messages/to-chat-request';
import { parseBody } from '../validation';

/** What the Messages routes need (streams are relayed like every other route's). */
export interface MessagesRouteDeps extends DialectJobDeps {
  config: Pick<Config, 'llm' | 'http' | 'stream' | 'providers' | 'queue' | 'redis'>;
  logger: Logger;
}

/** Paths whose errors (authentication's included) take Anthropic's shape and statuses. */
export const messagesPaths = ['/v1/messages'];

/** Anthropic's errors, for the Messages routes and whatever fails before them (authentication). */
export const messagesErrorHandler = (logger: Logger) =>
  errorHandler(
    logger,
    (error, req) => toMessagesErrorBody(error.type, error.message, req.id),
    (error) => messagesErrorStatus(error.type),
  );

/**
 * `POST /v1/messages` (plain or `stream: true`) and `POST /v1/messages/count_tokens`: Anthropic's Messages API on
 * the same queue, parsed and answered by the messages dialect (dialects/messages). `anthropic-version` and
 * `anthropic-beta` are accepted and need nothing: the answer is the 2023-06-01 shape.
 */
export function messagesRoutes(deps: MessagesRouteDeps): Router {
  const router = Router();
  const json = jsonBody({ limit: deps.config.http.bodyLimitBytes, maxDepth: deps.config.http.maxJsonDepth });

  router.post('/v1/messages', json, async (req, res) => {
    const request = parseBody(messagesRequestSchema, req.body);
    const body = parseBody(chatRequestSchema, toChatRequest(request, headerField(req, 'X-Agent-Id', agentIdSchema)));
    const idempotent = idempotentRequestOf(req, '/v1/messages');
    const jobId = workIdFor(req, idempotent);
    const id = `msg_${jobId}`;
    const job = { body, jobId, idempotent, cached: await deps.enqueuer.cacheLookup(req, res, body, jobId) };
    // A keyed stream is resumable: its retry (same key) attaches to it instead of paying for the answer again.
    if (request.stream)
      return streamDialectJob(deps, req, res, {
        ...job,
        format: messagesStreamFormat({ id, model: request.model }),
        kept: idempotent ? { resumable: true } : {},
      });
    const answer = await answerDialectJob(deps, req, res, job);
    res.json(toMessage(id, answer));
  });

  // The gateway's estimate (as admission makes it), not the provider's tokenizer: nothing is enqueued or billed.
  router.post('/v1/messages/count_tokens', json, (req, res) => {
    const request = parseBody(countTokensRequestSchema, req.body);
    const tools = request.tools && request.tools.length > 0 ? toFunctionTools(request.tools) : undefined;
    res.json({ input_tokens: estimatePromptTokens({ messages: toChatMessages(request), tools }) });
  });

  // Other paths under /v1/messages (Message Batches are served by their own routes, mounted before): a 404 in Anthropic's shape.
  router.all('/v1/messages/*rest', (req) => {
    throw routeNotFound(req.method, req.path);
  });
  router.use(messagesPaths, messagesErrorHandler(deps.logger));
  return router;
}
