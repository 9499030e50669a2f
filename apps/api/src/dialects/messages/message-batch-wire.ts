import { z } from 'zod';
import { messagesRequestSchema } from './messages-wire';

/** One request of `POST /v1/messages/batches`: the caller's id for it and a Messages body, answered whole (not streamed). */
export const messageBatchRequestSchema = z
  .object({
    custom_id: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, '1 to 64 letters, digits, hyphens or underscores'),
    params: messagesRequestSchema,
  })
  .superRefine((request, context) => {
    if (request.params.stream === true)
      context.addIssue({ code: 'custom', path: ['params', 'stream'], message: 'a request of a batch is not streamed (stream: false or absent)' });
  });
export type MessageBatchRequest = z.infer<typeof messageBatchRequestSchema>;

/** Where a Message Batch is: running, its unstarted requests being cancelled, or every request ended. */
export type MessageBatchStatus = 'in_progress' | 'canceling' | 'ended';

/** Anthropic's MessageBatch object (times in RFC 3339). */
export interface MessageBatch {
  id: string;
  type: 'message_batch';
  processing_status: MessageBatchStatus;
  request_counts: { processing: number; succeeded: number; errored: number; canceled: number; expired: number };
  ended_at: string | null;
  created_at: string;
  expires_at: string;
  archived_at: string | null;
  cancel_initiated_at: string | null;
  results_url: string | null;
}

/** Anthropic's page of Message Batches (`GET /v1/messages/batches`). */
export interface MessageBatchPage {
  data: MessageBatch[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/** Query of `GET /v1/messages/batches`: a page of `limit` (1–1000, default 20) after one batch or before one. */
export const messageBatchListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(20),
    after_id: z.string().min(1).max(256).optional(),
    before_id: z.string().min(1).max(256).optional(),
  })
  .refine((query) => query.after_id === undefined || query.before_id === undefined, { message: 'give after_id or before_id, not both' });
