import type { ChatJobData, ChatRequest } from '@gateway/contracts';
import { GatewayError } from '@gateway/contracts';
import { isRedisUnavailable } from './middleware/error-handler';

/** The job payload of a validated chat request (the default model applied). */
export function toChatJobData(requestId: string, body: ChatRequest, defaultModel: string, extras: { replyTo?: string; callbackUrl?: string; stream?: boolean } = {}): ChatJobData {
  return {
    request_id: requestId,
    ...(body.agent_id !== undefined ? { agent_id: body.agent_id } : {}),
    model: body.model ?? defaultModel,
    messages: body.messages,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...(body.max_tokens !== undefined ? { max_tokens: body.max_tokens } : {}),
    ...(extras.replyTo !== undefined ? { reply_to: extras.replyTo } : {}),
    ...(extras.callbackUrl !== undefined ? { callback_url: extras.callbackUrl } : {}),
    accepted_at: Date.now(),
    ...(extras.stream ? { stream: true } : {}),
  };
}

/** Runs a Redis write of an enqueue, turning a Redis outage into `unavailable` (503 + Retry-After). */
export async function enqueueOrUnavailable<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isRedisUnavailable(error)) throw new GatewayError('unavailable', 'the queue is unavailable, retry later', { retryAfterSeconds: 1, cause: error });
    throw error;
  }
}
