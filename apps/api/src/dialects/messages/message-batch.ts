import { batchJobId, isGatewayBatchId, type BatchRecord, type BatchRequestOutcome, type BatchState } from '@gateway/queue';
import { toMessage } from './from-chat-result';
import { toMessagesErrorBody } from './messages-errors';
import type { MessageBatch, MessageBatchStatus } from './message-batch-wire';

const ID_PREFIX = 'msgbatch_';

/** A batch's id as Anthropic's clients see it (`msgbatch_<gateway batch id>`). */
export function toMessageBatchId(batchId: string): string {
  return `${ID_PREFIX}${batchId}`;
}

/** The gateway batch id inside a Message Batch id, or undefined when the gateway never makes such an id. */
export function fromMessageBatchId(id: string): string | undefined {
  const batchId = id.startsWith(ID_PREFIX) ? id.slice(ID_PREFIX.length) : undefined;
  return batchId !== undefined && isGatewayBatchId(batchId) ? batchId : undefined;
}

/** Where its results are read, relative to the API's root (the SDKs join it to their base URL, path prefix included). */
export function messageBatchResultsPath(batchId: string): string {
  return `/v1/messages/batches/${toMessageBatchId(batchId)}/results`;
}

const time = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function processingStatus(record: BatchRecord, state: BatchState): MessageBatchStatus {
  if (state.done) return 'ended';
  return record.cancelledAt !== undefined ? 'canceling' : 'in_progress';
}

/**
 * A batch as Anthropic's MessageBatch. Its counts are live (Anthropic's stay at `processing` until the batch ends;
 * they sum to the batch's size either way); `results_url` appears once it has ended. A request that failed for
 * any reason (its provider, its budget, its batch's max_cost_usd) counts as errored.
 */
export function toMessageBatch(record: BatchRecord, state: BatchState): MessageBatch {
  const { counts } = state;
  return {
    id: toMessageBatchId(record.batchId),
    type: 'message_batch',
    processing_status: processingStatus(record, state),
    request_counts: {
      processing: counts.queued + counts.active,
      succeeded: counts.completed,
      errored: counts.failed,
      canceled: counts.cancelled,
      expired: counts.expired,
    },
    ended_at: state.done ? time(state.endedAt) : null,
    created_at: time(record.createdAt)!,
    // Message Batches are always made with a completion window (24 hours unless the caller gave another).
    expires_at: time(record.expiresAt ?? record.createdAt)!,
    archived_at: null,
    cancel_initiated_at: time(record.cancelledAt),
    results_url: state.done ? messageBatchResultsPath(record.batchId) : null,
  };
}

/**
 * A request's line of a Message Batch's results: its Message, its error in Anthropic's shape, or that it was
 * cancelled or expired before it ran; undefined for one that has not ended (the results are read once all have).
 */
export function messageBatchResultLine(record: BatchRecord, outcome: BatchRequestOutcome) {
  const jobId = batchJobId(record.batchId, outcome.index);
  const customId = outcome.customId ?? '';
  const { view } = outcome;
  switch (view.status) {
    case 'completed':
      if (!view.result) return undefined;
      return { custom_id: customId, result: { type: 'succeeded' as const, message: toMessage(`msg_${jobId}`, view.result) } };
    case 'failed': {
      const error = toMessagesErrorBody(view.error?.type ?? 'upstream_error', view.error?.message ?? 'the request failed', jobId);
      return { custom_id: customId, result: { type: 'errored' as const, error } };
    }
    case 'cancelled':
      return { custom_id: customId, result: { type: 'canceled' as const } };
    case 'expired':
      return { custom_id: customId, result: { type: 'expired' as const } };
    default:
      return undefined;
  }
}
