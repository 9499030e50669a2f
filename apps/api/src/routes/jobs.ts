import { Router, type Request } from 'express';
import { callbackUrlProblem, jobRequestSchema, invalidRequest, notFound, type JobAccepted, type JobRequest, type JobView } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import {
  enqueueCallback,
  isGatewayJobId,
  markJobCancelled,
  publishCancel,
  readJobViews,
  type CallbackQueue,
  type JobQueues,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import { assertMayAccess, callerOf, type Caller } from '../caller';
import type { Admission } from '../admission';
import { idempotentRequestOf, lastEventIdOf, workIdFor } from '../idempotency';
import { bodyCacheMode, cacheFillOf, cacheHeaderMode, requestCacheMode, type CacheFill, type EnqueueService } from '../enqueue';
import { withModelAlias } from '../enqueue/model-alias';
import { serveAttachedStream, type StreamAttachDeps } from '../stream-attach';
import { openAiStreamFormat } from '../dialects/chat-completions/stream-events';
import { gatewayStreamFormat } from '../stream-formats';
import { parseBody } from '../validation';

export interface JobRouteDeps extends StreamAttachDeps {
  config: Pick<Config, 'llm' | 'queue' | 'jobs' | 'providers' | 'http' | 'stream' | 'redis' | 'responseCache'>;
  queue: JobQueues;
  callbacks: CallbackQueue;
  /** A `command` connection. */
  redis: RedisClient;
  /** The BullMQ prefix (hash-tagged on a cluster). */
  prefix: QueuePrefix;
  /** Cancelled queued jobs release their reservation; attaches take a rate token. */
  admission: Admission;
  /** The one way into the queue. */
  enqueuer: EnqueueService;
}

/** Reads one job's view, or throws not_found (also for another key's job, and for an id the gateway never makes, which may name a BullMQ key). */
export async function requireJobView(deps: JobRouteDeps, jobId: string, caller: Caller): Promise<JobView> {
  if (isGatewayJobId(jobId)) assertMayAccess(caller, jobId, 'job');
  const view = isGatewayJobId(jobId) ? (await readJobViews(deps.redis, deps.queue, deps.prefix, [jobId], true))[0] : undefined;
  if (!view) throw notFound('job', jobId, { retained: true });
  return view;
}

/** Throws invalid_request when a callback_url is not one the operator allowed. */
export function checkCallbackUrl(url: string | undefined, allowedHosts: readonly string[]): void {
  if (url === undefined) return;
  const problem = callbackUrlProblem(url, allowedHosts);
  if (problem) throw invalidRequest(problem);
}

/**
 * The response-cache entry an asynchronous job looks up as it starts and fills (`X-Gateway-Cache: on` or the body's
 * `"cache": true`; `refresh` fills only), or undefined: the cache is off, or the request did not opt in.
 */
function jobCacheFill(config: Pick<Config, 'responseCache' | 'llm'>, req: Request, body: JobRequest): CacheFill | undefined {
  const ttl = config.responseCache.ttlSeconds;
  if (ttl === 0) return undefined;
  const mode = requestCacheMode(cacheHeaderMode(req.get('X-Gateway-Cache')), bodyCacheMode((req.body as { cache?: unknown }).cache), body);
  if (mode === undefined || mode === 'off') return undefined;
  const model = withModelAlias(config.llm.modelAliases, body).model ?? config.llm.defaultModel;
  return cacheFillOf(callerOf(req), body, model, ttl, mode === 'on');
}

export function jobRoutes(deps: JobRouteDeps): Router {
  const router = Router();

  router.post('/v1/jobs', async (req, res) => {
    const body = parseBody(jobRequestSchema, req.body);
    checkCallbackUrl(body.callback_url, deps.config.jobs.callbackAllowedHosts);
    const idempotent = idempotentRequestOf(req, '/v1/jobs');
    const jobId = workIdFor(req, idempotent, 'job', 'job');
    res.locals['jobId'] = jobId;
    // A duplicate (same Idempotency-Key, same body) gets the same job id back.
    await deps.enqueuer.enqueue({
      req,
      body,
      jobId,
      extras: {
        ...(body.callback_url !== undefined ? { callbackUrl: body.callback_url } : {}),
        priority: body.priority,
        ...(body.stream ? { stream: true, resumable: true, streamFormat: 'gateway' as const } : {}),
        requestHash: idempotent?.requestHash,
        responseCache: jobCacheFill(deps.config, req, body),
      },
    });
    const accepted: JobAccepted = { job_id: jobId, status: 'queued' };
    res.status(202).setHeader('location', `/v1/jobs/${jobId}`).json(accepted);
  });

  router.get('/v1/jobs/:id', async (req, res) => {
    res.json(await requireJobView(deps, req.params.id, callerOf(req)));
  });

  router.get('/v1/jobs/:id/stream', async (req, res) => {
    const jobId = req.params.id;
    const resumeAfter = lastEventIdOf(req);
    const caller = callerOf(req);
    if (isGatewayJobId(jobId)) assertMayAccess(caller, jobId, 'job');
    const job = isGatewayJobId(jobId) ? await deps.queue.getJob(jobId) : undefined;
    if (!job) throw notFound('job', jobId, { retained: true });
    if (!job.data.resumable) throw invalidRequest(`job ${jobId} keeps no stream: submit it with "stream": true (POST /v1/jobs) or "resumable": true (streams)`);
    const streamFormat = job.data.stream_format ?? 'gateway';
    const format = streamFormat === 'gateway' ? gatewayStreamFormat() : openAiStreamFormat({ jobId, includeUsage: streamFormat === 'openai-usage' });
    // A stream with a live client (not an asynchronous job) gets a grace when this client goes away too.
    await serveAttachedStream(deps, req, res, { jobId, format, resumeAfter, graceOnLeave: job.data.reply_to !== undefined, agentId: job.data.agent_id });
  });

  router.delete('/v1/jobs/:id', async (req, res) => {
    const jobId = req.params.id;
    const view = await requireJobView(deps, jobId, callerOf(req));
    if (view.status !== 'queued' && view.status !== 'active') {
      res.json(view);
      return;
    }
    // Marked first: a worker that fails the job because of the abort then reports it as cancelled.
    await markJobCancelled(deps.redis, deps.prefix, jobId, deps.config.queue.retentionSeconds);
    const job = await deps.queue.getJob(jobId);
    // remove() refuses a job locked by a worker (active): that one is aborted through the cancel channel.
    const removed = job ? await deps.queue.remove(jobId) : 0;
    if (removed === 1) {
      await deps.admission.release(jobId, job?.data.key_id).catch(() => undefined);
      if (job?.data.callback_url) await enqueueCallback(deps.callbacks, job.data.callback_url, { job_id: jobId, status: 'cancelled' });
    } else {
      await publishCancel(deps.redis, deps.prefix, jobId);
    }
    const after = await requireJobView(deps, jobId, callerOf(req));
    res.json(after);
  });

  return router;
}
