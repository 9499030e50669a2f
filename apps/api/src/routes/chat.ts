import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { GatewayError, chatRequestSchema, type ChatJobData, type ChatResponse } from '@gateway/contracts';
import type { Config } from '@gateway/config';
import type { ChatQueue } from '@gateway/queue';
import type { Admission } from '../admission';
import { isRedisUnavailable } from '../middleware/error-handler';
import type { ResultWaiter } from '../result-waiter';
import { parseBody } from '../validation';

/** What the chat routes need. */
export interface ChatRouteDeps {
  config: Pick<Config, 'llm' | 'http'>;
  queue: ChatQueue;
  waiter: ResultWaiter;
  /** This API instance's reply channel id. */
  instanceId: string;
  /** Rate limit and budget reservation, applied before every enqueue. */
  admission: Admission;
}

/** Admits (rate limit, budget) and enqueues a chat job for this request; throws `unavailable` when Redis refuses it. */
export async function enqueueChat(deps: ChatRouteDeps, req: Request, jobId: string, replyTo: string | undefined, extra: Pick<ChatJobData, 'stream'> = {}): Promise<ChatJobData> {
  const body = parseBody(chatRequestSchema, req.body);
  const admitted = await deps.admission.admitChat(body, jobId);
  const data: ChatJobData = {
    request_id: req.id,
    ...(body.agent_id !== undefined ? { agent_id: body.agent_id } : {}),
    model: body.model ?? deps.config.llm.defaultModel,
    messages: body.messages,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.max_tokens !== undefined ? { max_tokens: body.max_tokens } : {}),
    ...(replyTo !== undefined ? { reply_to: replyTo } : {}),
    accepted_at: Date.now(),
    ...(extra.stream ? { stream: true } : {}),
    reserved_usd: admitted.reservedUsd,
  };
  try {
    await deps.queue.add('chat', data, { jobId, ...(body.priority !== undefined ? { priority: body.priority } : {}) });
  } catch (error) {
    await deps.admission.release(jobId).catch(() => undefined);
    if (isRedisUnavailable(error)) throw new GatewayError('unavailable', 'the queue is unavailable, retry later', { retryAfterSeconds: 1, cause: error });
    throw error;
  }
  return data;
}

export function chatRoutes(deps: ChatRouteDeps): Router {
  const router = Router();

  router.post('/v1/chat', async (req, res) => {
    const jobId = randomUUID();
    res.locals['jobId'] = jobId;
    // Wait first: the reply cannot then arrive before anyone listens for it.
    const result = deps.waiter.register(jobId, deps.config.http.chatTimeoutMs);
    result.catch(() => undefined);
    try {
      await enqueueChat(deps, req, jobId, deps.instanceId);
    } catch (error) {
      deps.waiter.forget(jobId);
      throw error;
    }
    const answer = await result;
    res.locals['provider'] = answer.provider;
    res.locals['model'] = answer.model;
    const body: ChatResponse = {
      content: answer.content,
      model: answer.model,
      provider: answer.provider,
      usage: answer.usage,
      cost_usd: answer.cost_usd,
      job_id: jobId,
    };
    res.json(body);
  });

  return router;
}
