import { httpStatusByErrorType, toEmbeddingsResponse, toOpenAiErrorBody, type BatchOutputLine, type ChatJobResult, type FileObject } from '@gateway/contracts';
import {
  batchFileId,
  batchCompletedPages,
  batchJobId,
  batchOutcomePages,
  type BatchFileKind,
  type BatchRecord,
  type BatchRequestOutcome,
  type JobQueues,
  type QueuePrefix,
  type RedisClient,
} from '@gateway/queue';
import { chatCompletionJson, toChatCompletion } from '../dialects/chat-completions/from-chat-result';
import { toResponse } from '../dialects/responses/from-chat-result';

/** OpenAI's error codes of requests that never ran. */
const unrunCodes = {
  expired: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' },
  cancelled: { code: 'batch_cancelled', message: 'This request was not executed: its batch was cancelled.' },
} as const;

/** A completed request's body, in the dialect of the batch's endpoint. */
function answerBody(record: BatchRecord, jobId: string, result: NonNullable<BatchRequestOutcome['view']['result']>): unknown {
  // Embeddings lines (a file's, or a native JSONL batch's among chat lines) answer OpenAI's embeddings list.
  if (record.endpoint === '/v1/embeddings' || result.embeddings !== undefined) return toEmbeddingsResponse(result);
  if (record.endpoint === '/v1/responses') {
    const meta = { id: `resp_${jobId}`, createdAt: Math.floor(record.createdAt / 1000), model: result.model, request: {} };
    return toResponse(meta, { status: 'completed', result });
  }
  return toChatCompletion(jobId, result);
}

/**
 * A request's line in the batch's output file (completed) or error file (failed, refused, expired, cancelled), in
 * OpenAI's shape; undefined when it belongs to the other file or has not ended yet.
 */
export function batchOutputLine(record: BatchRecord, outcome: BatchRequestOutcome, kind: BatchFileKind): BatchOutputLine | undefined {
  const { view } = outcome;
  const completed = view.status === 'completed' && view.result !== undefined;
  // Most requests belong to the other file: nothing is built for them.
  if (completed !== (kind === 'output')) return undefined;
  const jobId = batchJobId(record.batchId, outcome.index);
  const id = `batch_req_${jobId}`;
  const customId = outcome.customId ?? null;
  if (view.status === 'completed' && view.result)
    return { id, custom_id: customId, response: { status_code: 200, request_id: jobId, body: answerBody(record, jobId, view.result) }, error: null };
  if (view.status === 'expired' || view.status === 'cancelled') return { id, custom_id: customId, response: null, error: unrunCodes[view.status] };
  if (view.status === 'failed') {
    const type = view.error?.type ?? 'upstream_error';
    const message = view.error?.message ?? 'the request failed';
    return {
      id,
      custom_id: customId,
      response: { status_code: httpStatusByErrorType[type], request_id: jobId, body: toOpenAiErrorBody(type, message) },
      error: { code: type, message },
    };
  }
  return undefined;
}

/**
 * A completed request's line in the output file, as JSON text: `JSON.stringify(batchOutputLine(…))` byte for byte,
 * a chat answer's written from templates (chatCompletionJson), other dialects' through batchOutputLine. `created`:
 * a chat completion's Unix seconds (when the request finished).
 */
export function completedLineJson(record: BatchRecord, index: number, result: ChatJobResult, created: number): string {
  const jobId = batchJobId(record.batchId, index);
  const customId = record.customIds[index] || undefined;
  if (record.endpoint === '/v1/embeddings' || record.endpoint === '/v1/responses' || result.embeddings !== undefined) {
    return JSON.stringify(batchOutputLine(record, { index, customId, view: { job_id: jobId, status: 'completed', result } }, 'output'));
  }
  const body = chatCompletionJson(jobId, result, created);
  return `{"id":${JSON.stringify(`batch_req_${jobId}`)},"custom_id":${JSON.stringify(customId ?? null)},"response":{"status_code":200,"request_id":${JSON.stringify(jobId)},"body":${body}},"error":null}`;
}

/**
 * A batch's output or error file as JSONL text, a page at a time (what has ended so far: readable while it runs).
 * The output file is read from the completed requests' results alone (batchCompletedPages, one framed reply per 500
 * requests), its lines written by completedLineJson; the error file from the requests' views (batchOutcomePages).
 */
export async function* batchFileText(
  redis: RedisClient,
  queue: Pick<JobQueues, 'toKey'>,
  prefix: QueuePrefix,
  record: BatchRecord,
  kind: BatchFileKind,
): AsyncGenerator<string> {
  if (kind === 'output') {
    for await (const { first, results } of batchCompletedPages(redis, queue, record)) {
      let text = '';
      for (let offset = 0; offset < results.length; offset += 1) {
        const completed = results[offset];
        // `created`: when the request finished, so that a file reads the same bytes every time.
        if (completed) text += `${completedLineJson(record, first + offset, completed.result, Math.floor(completed.finishedOn / 1000))}\n`;
      }
      if (text !== '') yield text;
    }
    return;
  }
  for await (const page of batchOutcomePages(redis, queue, prefix, record)) {
    let text = '';
    for (const outcome of page) {
      const line = batchOutputLine(record, outcome, kind);
      if (line) text += `${JSON.stringify(line)}\n`;
    }
    if (text !== '') yield text;
  }
}

/** A batch's output or error file as a File object (its size is not counted: the file is read from the batch's jobs). */
export function batchFileObject(record: BatchRecord, kind: BatchFileKind, retentionSeconds: number): FileObject {
  return {
    id: batchFileId(record.batchId, kind),
    object: 'file',
    bytes: 0,
    created_at: Math.floor(record.createdAt / 1000),
    expires_at: Math.floor(record.createdAt / 1000) + retentionSeconds,
    filename: `${record.batchId}_${kind === 'output' ? 'output' : 'error'}.jsonl`,
    purpose: 'batch_output',
    status: 'processed',
    status_details: null,
  };
}
