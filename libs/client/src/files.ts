import type { BatchEndpoint, BatchView, FileDeleted, FileList, FileObject } from '@gateway/contracts';
import { send, sendJson, type CallOptions, type HttpSettings } from './http';

/** What `createBatchFromFile` sends: OpenAI's batch body, with the gateway's cap and callback. */
export interface FileBatchOptions extends CallOptions {
  inputFileId: string;
  endpoint: BatchEndpoint;
  /** Requests not started by then end `expired` (default `24h`). */
  completionWindow?: string;
  metadata?: Record<string, string>;
  maxCostUsd?: number;
  callbackUrl?: string;
}

/** `POST /v1/files` (multipart, purpose `batch`): a JSONL file of OpenAI batch lines, checked line by line. */
export function uploadBatchFile(settings: HttpSettings, content: string | Blob, filename: string, options: CallOptions): Promise<FileObject> {
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', typeof content === 'string' ? new Blob([content], { type: 'application/jsonl' }) : content, filename);
  return sendJson<FileObject>(settings, 'POST', '/v1/files', form, options);
}

/** `POST /v1/batches` in OpenAI's shape: a batch of an uploaded file's lines, answered with its Batch object. */
export function createBatchFromFile(settings: HttpSettings, options: FileBatchOptions): Promise<BatchView> {
  const body = {
    input_file_id: options.inputFileId,
    endpoint: options.endpoint,
    completion_window: options.completionWindow ?? '24h',
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    ...(options.maxCostUsd !== undefined ? { max_cost_usd: options.maxCostUsd } : {}),
    ...(options.callbackUrl !== undefined ? { callback_url: options.callbackUrl } : {}),
  };
  return sendJson<BatchView>(settings, 'POST', '/v1/batches', body, options);
}

export const fileRequests = {
  get: (settings: HttpSettings, fileId: string, options: CallOptions) =>
    sendJson<FileObject>(settings, 'GET', `/v1/files/${encodeURIComponent(fileId)}`, undefined, options),
  list: (settings: HttpSettings, options: CallOptions & { after?: string; limit?: number }) => {
    const query = new URLSearchParams({
      ...(options.after !== undefined ? { after: options.after } : {}),
      ...(options.limit !== undefined ? { limit: String(options.limit) } : {}),
    }).toString();
    return sendJson<FileList>(settings, 'GET', `/v1/files${query ? `?${query}` : ''}`, undefined, options);
  },
  delete: (settings: HttpSettings, fileId: string, options: CallOptions) =>
    sendJson<FileDeleted>(settings, 'DELETE', `/v1/files/${encodeURIComponent(fileId)}`, undefined, options),
};

/**
 * A file's content as it arrives, in text pieces (an uploaded file, or a batch's output or error file: what has
 * ended so far while the batch runs). The caller's timeout bounds the whole read.
 */
export async function* fileContent(settings: HttpSettings, fileId: string, options: CallOptions): AsyncGenerator<string> {
  const { response, dispose } = await send(settings, 'GET', `/v1/files/${encodeURIComponent(fileId)}/content`, undefined, options);
  try {
    if (!response.body) return;
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield decoder.decode(value, { stream: true });
    }
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  } finally {
    dispose();
  }
}
