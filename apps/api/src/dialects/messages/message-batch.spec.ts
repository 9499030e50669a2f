import type { BatchRecord, BatchState } from '@gateway/queue';
import { fromMessageBatchId, messageBatchResultLine, toMessageBatch, toMessageBatchId } from './message-batch';

const batchId = 'key_abcdefghijklmnop_0f8fad5b-d9cb-469f-a165-70867728950e';
const created = Date.UTC(2026, 11, 7, 10, 0, 0);
const record: BatchRecord = {
  batchId,
  total: 5,
  createdAt: created,
  customIds: ['a', 'b', 'c', 'd', 'e'],
  expiresAt: created + 86_400_000,
  endpoint: '/v1/messages',
};
const counts = (partial: Partial<BatchState['counts']>): BatchState['counts'] => ({
  queued: 0,
  active: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  expired: 0,
  ...partial,
});

describe('Message Batch ids', () => {
  it('wraps a gateway batch id and reads it back; other ids name nothing', () => {
    expect(toMessageBatchId(batchId)).toBe(`msgbatch_${batchId}`);
    expect(fromMessageBatchId(toMessageBatchId(batchId))).toBe(batchId);
    for (const id of [batchId, 'msgbatch_', 'msgbatch_wait', `msgbatch_${batchId}-0`, `batch_${batchId}`]) expect(fromMessageBatchId(id)).toBeUndefined();
  });
});

describe('toMessageBatch', () => {
  it('is in_progress with live counts and no results_url while requests run', () => {
    expect(toMessageBatch(record, { counts: counts({ queued: 2, active: 1, completed: 1, failed: 1 }), budgetExceeded: 0, done: false })).toEqual({
      id: `msgbatch_${batchId}`,
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 3, succeeded: 1, errored: 1, canceled: 0, expired: 0 },
      ended_at: null,
      created_at: '2026-12-07T10:00:00.000Z',
      expires_at: '2026-12-08T10:00:00.000Z',
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    });
  });

  it('is canceling once cancelled, then ended with its end time and results_url', () => {
    const cancelled = { ...record, cancelledAt: created + 1000 };
    expect(toMessageBatch(cancelled, { counts: counts({ active: 1, completed: 1, cancelled: 3 }), budgetExceeded: 0, done: false })).toMatchObject({
      processing_status: 'canceling',
      cancel_initiated_at: '2026-12-07T10:00:01.000Z',
      results_url: null,
    });
    expect(
      toMessageBatch(cancelled, { counts: counts({ completed: 2, cancelled: 2, expired: 1 }), budgetExceeded: 0, done: true, endedAt: created + 5000 }),
    ).toMatchObject({
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 2, errored: 0, canceled: 2, expired: 1 },
      ended_at: '2026-12-07T10:00:05.000Z',
      results_url: `/v1/messages/batches/msgbatch_${batchId}/results`,
    });
  });
});

describe('messageBatchResultLine', () => {
  const result = {
    content: 'hello',
    model: 'acme/model',
    provider: 'openrouter' as const,
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    cost_usd: 0.001,
    finish_reason: 'stop',
  };
  const line = (index: number, view: Parameters<typeof messageBatchResultLine>[1]['view']) =>
    messageBatchResultLine(record, { index, customId: record.customIds[index], view });

  it('gives a succeeded request its Message, a failed one its error in Anthropic shape, and says which never ran', () => {
    expect(line(0, { job_id: `${batchId}-0`, status: 'completed', result })).toEqual({
      custom_id: 'a',
      result: {
        type: 'succeeded',
        message: expect.objectContaining({
          id: `msg_${batchId}-0`,
          type: 'message',
          role: 'assistant',
          content: [{ type: 'text', text: 'hello' }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 5, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        }),
      },
    });
    expect(line(1, { job_id: `${batchId}-1`, status: 'failed', error: { type: 'budget_exceeded', message: 'the batch reached its max_cost_usd' } })).toEqual({
      custom_id: 'b',
      result: {
        type: 'errored',
        error: { type: 'error', error: { type: 'billing_error', message: 'the batch reached its max_cost_usd' }, request_id: `${batchId}-1` },
      },
    });
    expect(line(2, { job_id: `${batchId}-2`, status: 'cancelled' })).toEqual({ custom_id: 'c', result: { type: 'canceled' } });
    expect(line(3, { job_id: `${batchId}-3`, status: 'expired' })).toEqual({ custom_id: 'd', result: { type: 'expired' } });
    expect(line(4, { job_id: `${batchId}-4`, status: 'queued' })).toBeUndefined();
  });
});
