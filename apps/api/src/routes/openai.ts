import { Router } from 'express';
import { agentIdSchema, notFound } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { Logger } from '@gateway/observability';
import { resolveRoute } from '@gateway/providers';
import { headerField } from '../header-fields';
import { idempotentRequestOf, workIdFor } from '../idempotency';
import { answerDialectJob, streamDialectJob, type DialectJobDeps } from '../dialect-job';
import { errorHandler } from '../middleware/error-handler';
import { jsonBody } from '../middleware/json-body';
import { chatCompletionsRequestSchema, toChatCompletionsErrorBody } from '../dialects/chat-completions/chat-completions-wire';
import { toChatCompletion } from '../dialects/chat-completions/from-chat-result';
import { openAiStreamFormat } from '../dialects/chat-completions/stream-events';
import { toChatRequest } from '../dialects/chat-completions/to-chat-request';
import { parseBody } from '../validation';

/** What the OpenAI-compatible routes need (streams are relayed like `/v1/chat/stream`'s). */
export interface OpenAiRouteDeps extends DialectJobDeps {
  config: Pick<Config, 'llm' | 'http' | 'models' | 'stream' | 'providers' | 'queue' | 'redis'> & Partial<Pick<Config, 'file'>>;
  logger: Logger;
}

/** The provider a listed name goes to first: a model group's first target's, else its route's. */
function ownerOf(id: string, config: OpenAiRouteDeps['config']): string {
  const name = config.llm.modelAliases[id] ?? id;
  const target = config.file?.models[name]?.targets[0];
  const provider = target?.provider ?? config.file?.deployments.find((deployment) => deployment.id === target?.deployment)?.provider;
  return provider ?? resolveRoute(name, { primary: config.llm.provider, defaultModel: config.llm.defaultModel }).provider;
}

function modelEntry(id: string, config: OpenAiRouteDeps['config']) {
  return { id, object: 'model' as const, created: 0, owned_by: ownerOf(id, config) };
}

/** The models listed: GATEWAY_MODELS, the aliases' names (LLM_MODEL_ALIASES and the file's), the model groups' names (GATEWAY_CONFIG_FILE). */
const listedModels = (config: OpenAiRouteDeps['config']) => [
  ...new Set([...config.models, ...Object.keys(config.llm.modelAliases), ...Object.keys(config.file?.models ?? {})]),
];

/**
 * `POST /v1/chat/completions` (plain or `stream: true`) and `GET /v1/models`: the OpenAI-compatible surface on the same
 * queue, parsed and answered by the chat-completions dialect (dialects/chat-completions).
 */
export function openAiRoutes(deps: OpenAiRouteDeps): Router {
  const router = Router();
  const json = jsonBody({ limit: deps.config.http.bodyLimitBytes, maxDepth: deps.config.http.maxJsonDepth });

  router.post('/v1/chat/completions', json, async (req, res) => {
    const openAiRequest = parseBody(chatCompletionsRequestSchema, req.body);
    const body = toChatRequest(openAiRequest, headerField(req, 'X-Agent-Id', agentIdSchema));
    const idempotent = idempotentRequestOf(req, '/v1/chat/completions');
    const jobId = workIdFor(req, idempotent);
    const job = { body, jobId, idempotent, cached: await deps.enqueuer.cacheLookup(req, res, body, jobId) };
    if (openAiRequest.stream) {
      const includeUsage = openAiRequest.stream_options?.include_usage === true;
      // A keyed stream is resumable: its retry (same key) attaches to it instead of paying for the answer again.
      const resumable = openAiRequest.stream_options?.resumable === true || idempotent !== undefined;
      const kept = resumable ? { resumable: true, streamFormat: includeUsage ? ('openai-usage' as const) : ('openai' as const) } : {};
      return streamDialectJob(deps, req, res, { ...job, format: openAiStreamFormat({ jobId, includeUsage }), kept });
    }
    const answer = await answerDialectJob(deps, req, res, job);
    res.json(toChatCompletion(jobId, answer));
  });

  router.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: listedModels(deps.config).map((id) => modelEntry(id, deps.config)) });
  });

  router.get('/v1/models/*id', (req, res) => {
    const raw = (req.params as { id?: string | string[] }).id;
    const id = Array.isArray(raw) ? raw.join('/') : (raw ?? '');
    if (!listedModels(deps.config).includes(id)) throw notFound('model', id, { maxIdChars: 256 });
    res.json(modelEntry(id, deps.config));
  });

  // Errors on these routes take OpenAI's shape, so OpenAI SDKs raise their own typed errors.
  router.use(
    ['/v1/chat/completions', '/v1/models'],
    errorHandler(deps.logger, (error) => toChatCompletionsErrorBody(error.type, error.message)),
  );
  return router;
}
