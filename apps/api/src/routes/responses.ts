import { Router, type Request } from 'express';
import { agentIdSchema, chatRequestSchema, invalidRequest, type ChatMessage } from '@gateway/contracts';
import { callerOf, type Caller } from '../caller';
import { answerMessage, storedInputItems, toChatMessages, toChatRequest } from '../dialects/responses/to-chat-request';
import { toResponse, type ResponseMeta } from '../dialects/responses/from-chat-result';
import { deleteResponseRecord, requireResponseRecord, responseOwner, saveResponseRecord } from '../stored-responses/response-record';
import { createStoreHeadroom, enqueueBesideSave } from '../stored-responses/stored-enqueue';
import { settledResult } from '../stored-responses/response-state';
import { responsesRequestSchema, toResponsesErrorBody, type ResponsesRequest } from '../dialects/responses/responses-wire';
import { responsesStreamFormat } from '../dialects/responses/stream-events';
import { headerField } from '../header-fields';
import { noCacheFill, type JobDataExtras } from '../enqueue';
import { keepJobOutcome } from '@gateway/queue';
import { replayStream } from '../stream-replay';
import { idempotentRequestOf, lastEventIdOf, workIdFor } from '../idempotency';
import { errorHandler } from '../middleware/error-handler';
import { jsonBody } from '../middleware/json-body';
import { serveAttachedStream } from '../stream-attach';
import { serveStream } from '../stream-session';
import { parseBody } from '../validation';
import { waitForAnswer } from '../wait-for-answer';
import { responseReadRoutes } from './response-reads';
import type { ResponsesRouteDeps } from './responses-deps';

/** How long a continuation waits for the answer of the response it continues to be kept (it was just sent). */
const PREVIOUS_SETTLE_MS = 5000;

/** The conversation a `previous_response_id` continues: that response's conversation, then its answer. */
async function previousConversation(deps: ResponsesRouteDeps, caller: Caller, id: string): Promise<ChatMessage[]> {
  const record = await requireResponseRecord(deps, caller, id);
  const state = await settledResult(deps, record.jobId, PREVIOUS_SETTLE_MS);
  if (state.status !== 'completed') throw invalidRequest(`previous_response_id: response ${id.slice(0, 128)} is ${state.status}, not completed`);
  return [...record.conversation, answerMessage(state.result)];
}

/** The agent a request runs as: OpenAI's `user`, else the X-Agent-Id header. */
const agentOf = (req: Request, request: ResponsesRequest) => request.user ?? headerField(req, 'X-Agent-Id', agentIdSchema);

/**
 * `POST /v1/responses`: OpenAI's Responses API on the same queue, mapped by the responses dialect onto the internal
 * chat request. Plain (waits for the answer), streamed (typed events), or `background` (a job in the `job` lane,
 * answered `queued` at once; streamed, its kept stream is served). Stored (the default): its record and its
 * outcome are kept RESPONSES_TTL_SECONDS, for the read routes (response-reads.ts) and `previous_response_id`.
 */
export function responsesRoutes(deps: ResponsesRouteDeps): Router {
  const router = Router();
  const json = jsonBody({ limit: deps.config.http.bodyLimitBytes, maxDepth: deps.config.http.maxJsonDepth });
  const headroom = createStoreHeadroom(deps.config.responses.maxPerOwner);

  router.post('/v1/responses', json, async (req, res) => {
    const { droppedTools, ...request } = parseBody(responsesRequestSchema, req.body);
    // Built-in tools the model may use but the gateway does not run are left out of the call, and said so.
    if (droppedTools.length > 0) res.setHeader('x-gateway-dropped-tools', [...new Set(droppedTools)].join(','));
    const caller = callerOf(req);
    const idempotent = idempotentRequestOf(req, '/v1/responses');
    // A background response is a job of the `job` lane: its id carries that lane's mark.
    const jobId = workIdFor(req, idempotent, 'job', request.background === true ? 'job' : 'interactive');
    const id = `resp_${jobId}`;
    const conversation = request.previous_response_id !== undefined ? await previousConversation(deps, caller, request.previous_response_id) : [];
    const input = toChatMessages(request.input ?? [], conversation);
    const body = parseBody(chatRequestSchema, toChatRequest(request, conversation, agentOf(req, request), input));
    const store = request.store ?? true;
    const background = request.background === true;
    const meta: ResponseMeta = { id, createdAt: Math.floor(Date.now() / 1000), model: body.model ?? deps.config.llm.defaultModel, request };
    const keep = store ? { keepOutcomeSeconds: deps.config.responses.ttlSeconds } : {};
    const requestHash = idempotent?.requestHash;
    res.locals['jobId'] = jobId;
    // A background response is a job read later: it is not answered from the cache.
    const cached = background ? noCacheFill : await deps.enqueuer.cacheLookup(req, res, body, jobId);
    const responseCache = 'fill' in cached ? cached.fill : undefined;
    const owner = responseOwner(jobId);
    // Far from its bound, the save is not waited for here: its round trip runs beside the enqueue's
    // (enqueueBesideSave waits for both); near it (or unknown), it comes first, as a refused response must not run.
    const overlap = headroom.roomy(owner);
    const saving = store
      ? saveResponseRecord(deps, {
          id,
          jobId,
          createdAt: meta.createdAt,
          model: meta.model,
          request,
          inputItems: storedInputItems(id, request.input),
          conversation: [...conversation, ...input],
        })
      : undefined;
    if (saving) {
      headroom.track(owner, saving);
      // A rejection is handled where the enqueue waits for it (or by the catch below when nothing got that far).
      saving.catch(() => undefined);
      if (!overlap) await saving;
    }
    if ('hit' in cached) {
      // A stored response's outcome is kept under its job id, as its job would have kept it, for the read routes.
      if (saving)
        await Promise.all([
          saving,
          keepJobOutcome(deps.redis, deps.prefix, jobId, { state: 'completed', result: cached.hit }, deps.config.responses.ttlSeconds),
        ]);
      if (request.stream) return replayStream(deps, req, res, { jobId, format: responsesStreamFormat({ meta }), result: cached.hit });
      res.json(toResponse(meta, { status: 'completed', result: cached.hit }));
      return;
    }
    const enqueue = (extras: JobDataExtras) => enqueueBesideSave(deps, jobId, saving, () => deps.enqueuer.enqueue({ req, body, jobId, extras }));
    try {
      if (background) {
        await enqueue({ lane: 'job', ...keep, requestHash, ...(request.stream ? { stream: true, resumable: true } : {}) });
        if (!request.stream) {
          res.json(toResponse(meta, { status: 'queued' }));
          return;
        }
        await serveAttachedStream(deps, req, res, { jobId, format: responsesStreamFormat({ meta }), graceOnLeave: false, agentId: body.agent_id });
        return;
      }
      if (request.stream) {
        // A keyed stream is resumable: its retry (same key) attaches to it instead of paying for the answer again.
        const resumable = idempotent !== undefined;
        await serveStream(deps, req, res, {
          jobId,
          format: responsesStreamFormat({ meta }),
          resumable,
          resumeAfter: lastEventIdOf(req),
          enqueue: () => enqueue({ replyTo: deps.instanceId, stream: true, ...(resumable ? { resumable: true } : {}), ...keep, requestHash, responseCache }),
        });
        return;
      }
      const answer = await waitForAnswer(deps, jobId, deps.config.http.chatTimeoutMs, () =>
        enqueue({ replyTo: deps.instanceId, ...keep, requestHash, responseCache }),
      );
      res.locals['provider'] = answer.provider;
      res.locals['model'] = answer.model;
      res.json(toResponse(meta, { status: 'completed', result: answer }));
    } catch (error) {
      // Refused before anything ran (429, 402, 503): nothing is stored for it. A refused save stored nothing.
      if (
        saving &&
        !res.headersSent &&
        idempotent === undefined &&
        (await saving.then(
          () => true,
          () => false,
        ))
      ) {
        await deleteResponseRecord(deps, { id, jobId }).catch(() => undefined);
      }
      throw error;
    }
  });

  router.use(responseReadRoutes(deps));
  // Errors on these routes take OpenAI's shape (`param` naming the field), so OpenAI SDKs raise their own typed errors.
  router.use(
    '/v1/responses',
    errorHandler(deps.logger, (error) => toResponsesErrorBody(error.type, error.message)),
  );
  return router;
}
