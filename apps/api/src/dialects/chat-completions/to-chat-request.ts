import { agentIdSchema, fromOpenAiRequest, invalidRequest, type ChatRequest } from '@gateway/contracts';
import type { ChatCompletionsRequest } from './chat-completions-wire';

/** The internal chat request of a chat-completions body; the agent is `user`, else the X-Agent-Id header. */
export function toChatRequest(request: ChatCompletionsRequest, agentHeader: string | undefined): ChatRequest {
  // OpenAI's `user` may be 256 characters; as the agent id it gets the agent id's bound.
  if (request.user !== undefined && !agentIdSchema.safeParse(request.user).success) {
    throw invalidRequest('user: used as the agent id, at most 128 characters');
  }
  return fromOpenAiRequest(request, agentHeader);
}
