import { chatRequestSchema } from '@gateway/contracts';
import { batchItemProblems, type BatchItemParser } from './batch-input';
import { messageBatchRequestSchema } from './dialects/messages/message-batch-wire';
import { toChatRequest } from './dialects/messages/to-chat-request';

/**
 * Reads the requests of `POST /v1/messages/batches` one by one, as `POST /v1/messages` reads its body: each
 * `params` checked by the Messages dialect and mapped onto the internal chat request, each `custom_id` once in
 * the batch. A refusal names the request's index and its field (`requests.3.params.max_tokens: …`).
 */
export function createMessageBatchItemParser(agentHeader: string | undefined): BatchItemParser {
  const seen = new Map<string, number>();
  return (value, index) => {
    const parsed = messageBatchRequestSchema.safeParse(value);
    if (!parsed.success) return { problems: batchItemProblems(index, parsed.error.issues) };
    const { custom_id: customId, params } = parsed.data;
    const first = seen.get(customId);
    if (first !== undefined) return { problems: [`requests.${index}.custom_id: ${customId} is already the custom_id of requests.${first}`] };
    seen.set(customId, index);
    const request = chatRequestSchema.safeParse(toChatRequest(params, agentHeader));
    if (!request.success)
      return {
        problems: batchItemProblems(
          index,
          request.error.issues.map((issue) => ({ ...issue, path: ['params', ...issue.path] })),
        ),
      };
    return { item: { customId, request: request.data } };
  };
}
